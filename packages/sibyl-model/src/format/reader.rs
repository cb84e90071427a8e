//! Parses the byte layout of a model file into layers. Semantic checks (shapes, ranges, overflow
//! bounds) are in `validate`; this module only rejects files that are not well-formed.

use crate::dtype::DType;
use crate::error::ModelError;
use crate::format::{requant_kind, MODEL_MAGIC, MODEL_VERSION};
use crate::layer::{
    op_code, op_name, Add, AddOperand, ArgMax, AvgPool2d, Conv2d, FullyConnected, Layer, MaxPool2d,
    Padding, Reshape, Window2d,
};
use crate::limits::Limits;
use crate::quant::{ChannelRequant, Clamp, OutputStage, Requant};
use crate::tensor::{TensorSpec, MAX_RANK};

/// The well-formed content of a model file, not yet validated.
pub(crate) struct ParsedFile {
    pub input: TensorSpec,
    pub output: TensorSpec,
    pub layers: Vec<Layer>,
}

pub(crate) fn parse_file(bytes: &[u8], limits: &Limits) -> Result<ParsedFile, ModelError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(ModelError::FileTooLarge {
            size: bytes.len(),
            limit: limits.max_file_bytes,
        });
    }
    let mut cursor = Cursor::new(bytes, 0);
    if cursor.take(MODEL_MAGIC.len(), "magic")? != MODEL_MAGIC {
        return Err(ModelError::BadMagic);
    }
    let version = cursor.u16("format version")?;
    if version != MODEL_VERSION {
        return Err(ModelError::UnsupportedVersion {
            found: version,
            supported: MODEL_VERSION,
        });
    }
    let input = cursor.spec("input spec")?;
    let output = cursor.spec("output spec")?;
    let count = cursor.u32("layer count")?;
    if u64::from(count) > limits.max_layers as u64 {
        return Err(ModelError::TooManyLayers {
            count: u64::from(count),
            limit: limits.max_layers,
        });
    }
    let mut layers = Vec::with_capacity(count as usize);
    for index in 0..count as usize {
        layers.push(parse_layer(&mut cursor, index, limits)?);
    }
    if cursor.remaining() > 0 {
        return Err(ModelError::TrailingBytes {
            count: cursor.remaining(),
        });
    }
    Ok(ParsedFile {
        input,
        output,
        layers,
    })
}

fn parse_layer(
    cursor: &mut Cursor<'_>,
    index: usize,
    limits: &Limits,
) -> Result<Layer, ModelError> {
    let context = format!("layer {index}");
    let code = cursor.u8(&format!("{context} op code"))?;
    let op = op_name(code);
    let declared = cursor.u32(&format!("{context} payload length"))? as usize;
    let payload_offset = cursor.offset();
    let payload = cursor.take(declared, &format!("{context} ({op}) payload"))?;
    let mut fields = Cursor::new(payload, payload_offset);
    let context = format!("layer {index} ({op})");
    let layer = match code {
        op_code::FULLY_CONNECTED => {
            Layer::FullyConnected(fully_connected(&mut fields, &context, limits)?)
        }
        op_code::CONV2D => Layer::Conv2d(conv2d(&mut fields, &context, limits)?),
        op_code::MAX_POOL2D => Layer::MaxPool2d(MaxPool2d {
            window: window(&mut fields, &context)?,
        }),
        op_code::AVG_POOL2D => Layer::AvgPool2d(AvgPool2d {
            window: window(&mut fields, &context)?,
            clamp: clamp(&mut fields, &context)?,
        }),
        op_code::ADD => Layer::Add(add(&mut fields, &context)?),
        op_code::RESHAPE => Layer::Reshape(Reshape {
            shape: fields.shape(&format!("{context} shape"))?,
        }),
        op_code::ARG_MAX => Layer::ArgMax(ArgMax),
        _ => return Err(ModelError::UnknownOp { layer: index, code }),
    };
    if fields.remaining() > 0 {
        return Err(ModelError::PayloadLength {
            layer: index,
            op,
            declared,
            used: declared - fields.remaining(),
        });
    }
    Ok(layer)
}

fn fully_connected(
    c: &mut Cursor<'_>,
    context: &str,
    limits: &Limits,
) -> Result<FullyConnected, ModelError> {
    let in_features = c.u32(&format!("{context} in_features"))?;
    let out_features = c.u32(&format!("{context} out_features"))?;
    let input_zero_point = c.i32(&format!("{context} input zero point"))?;
    let weight_count = checked_product(&[out_features, in_features]);
    let weights = c.i8s(weight_count, &format!("{context} weights"), limits)?;
    let bias = c.i32s(u64::from(out_features), &format!("{context} bias"), limits)?;
    let output = output_stage(c, context, out_features, limits)?;
    Ok(FullyConnected {
        in_features,
        out_features,
        input_zero_point,
        weights,
        bias,
        output,
    })
}

fn conv2d(c: &mut Cursor<'_>, context: &str, limits: &Limits) -> Result<Conv2d, ModelError> {
    let mut dims = [0u32; 7];
    for (dim, name) in dims.iter_mut().zip([
        "out_channels",
        "kernel_h",
        "kernel_w",
        "in_channels_per_group",
        "groups",
        "stride_h",
        "stride_w",
    ]) {
        *dim = c.u32(&format!("{context} {name}"))?;
    }
    let [out_channels, kernel_h, kernel_w, in_channels_per_group, groups, stride_h, stride_w] =
        dims;
    let padding = padding(c, context)?;
    let input_zero_point = c.i32(&format!("{context} input zero point"))?;
    let weight_count = checked_product(&[out_channels, kernel_h, kernel_w, in_channels_per_group]);
    let weights = c.i8s(weight_count, &format!("{context} weights"), limits)?;
    let bias = c.i32s(u64::from(out_channels), &format!("{context} bias"), limits)?;
    let output = output_stage(c, context, out_channels, limits)?;
    Ok(Conv2d {
        out_channels,
        kernel_h,
        kernel_w,
        in_channels_per_group,
        groups,
        stride_h,
        stride_w,
        padding,
        input_zero_point,
        weights,
        bias,
        output,
    })
}

fn add(c: &mut Cursor<'_>, context: &str) -> Result<Add, ModelError> {
    Ok(Add {
        rhs_tensor: c.u32(&format!("{context} rhs tensor"))?,
        left_shift: c.u32(&format!("{context} left shift"))?,
        lhs: operand(c, &format!("{context} lhs"))?,
        rhs: operand(c, &format!("{context} rhs"))?,
        output_requant: requant(c, &format!("{context} output requantization"))?,
        output_zero_point: c.i32(&format!("{context} output zero point"))?,
        clamp: clamp(c, context)?,
    })
}

fn operand(c: &mut Cursor<'_>, context: &str) -> Result<AddOperand, ModelError> {
    Ok(AddOperand {
        zero_point: c.i32(&format!("{context} zero point"))?,
        requant: requant(c, &format!("{context} requantization"))?,
    })
}

fn window(c: &mut Cursor<'_>, context: &str) -> Result<Window2d, ModelError> {
    Ok(Window2d {
        kernel_h: c.u32(&format!("{context} kernel_h"))?,
        kernel_w: c.u32(&format!("{context} kernel_w"))?,
        stride_h: c.u32(&format!("{context} stride_h"))?,
        stride_w: c.u32(&format!("{context} stride_w"))?,
        padding: padding(c, context)?,
    })
}

fn padding(c: &mut Cursor<'_>, context: &str) -> Result<Padding, ModelError> {
    let context = format!("{context} padding");
    Ok(Padding {
        top: c.u32(&context)?,
        bottom: c.u32(&context)?,
        left: c.u32(&context)?,
        right: c.u32(&context)?,
    })
}

fn output_stage(
    c: &mut Cursor<'_>,
    context: &str,
    channels: u32,
    limits: &Limits,
) -> Result<OutputStage, ModelError> {
    let kind_context = format!("{context} requantization kind");
    let requant = match c.u8(&kind_context)? {
        requant_kind::PER_TENSOR => ChannelRequant::PerTensor(requant(c, context)?),
        requant_kind::PER_CHANNEL => {
            check_elements(
                u64::from(channels),
                &format!("{context} requantization"),
                limits,
            )?;
            let needed = (channels as usize).saturating_mul(8);
            c.ensure(needed, &format!("{context} per-channel requantization"))?;
            let requants = (0..channels)
                .map(|_| requant(c, context))
                .collect::<Result<_, _>>()?;
            ChannelRequant::PerChannel(requants)
        }
        code => {
            return Err(ModelError::UnknownCode {
                context: context.to_owned(),
                field: "requantization kind",
                code,
            })
        }
    };
    Ok(OutputStage {
        requant,
        zero_point: c.i32(&format!("{context} output zero point"))?,
        clamp: clamp(c, context)?,
    })
}

fn requant(c: &mut Cursor<'_>, context: &str) -> Result<Requant, ModelError> {
    Ok(Requant {
        multiplier: c.i32(&format!("{context} multiplier"))?,
        shift: c.i32(&format!("{context} shift"))?,
    })
}

fn clamp(c: &mut Cursor<'_>, context: &str) -> Result<Clamp, ModelError> {
    Ok(Clamp {
        min: c.i32(&format!("{context} clamp min"))?,
        max: c.i32(&format!("{context} clamp max"))?,
    })
}

/// Product of dimensions; `u64::MAX` on overflow so the size limit rejects it.
fn checked_product(dims: &[u32]) -> u64 {
    crate::tensor::element_count(dims).unwrap_or(u64::MAX)
}

fn check_elements(elements: u64, context: &str, limits: &Limits) -> Result<(), ModelError> {
    if elements > limits.max_tensor_elements {
        return Err(ModelError::TensorTooLarge {
            context: context.to_owned(),
            elements,
            limit: limits.max_tensor_elements,
        });
    }
    Ok(())
}

/// Reads little-endian fields, reporting offsets relative to the whole file.
struct Cursor<'a> {
    bytes: &'a [u8],
    position: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Cursor<'a> {
        Cursor {
            bytes,
            position: 0,
            base,
        }
    }

    fn offset(&self) -> usize {
        self.base + self.position
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    fn ensure(&self, needed: usize, context: &str) -> Result<(), ModelError> {
        if needed > self.remaining() {
            return Err(ModelError::Truncated {
                context: context.to_owned(),
                offset: self.offset(),
                needed,
                available: self.remaining(),
            });
        }
        Ok(())
    }

    fn take(&mut self, len: usize, context: &str) -> Result<&'a [u8], ModelError> {
        self.ensure(len, context)?;
        let slice = &self.bytes[self.position..self.position + len];
        self.position += len;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, context: &str) -> Result<[u8; N], ModelError> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N, context)?);
        Ok(array)
    }

    fn u8(&mut self, context: &str) -> Result<u8, ModelError> {
        Ok(self.array::<1>(context)?[0])
    }

    fn u16(&mut self, context: &str) -> Result<u16, ModelError> {
        Ok(u16::from_le_bytes(self.array(context)?))
    }

    fn u32(&mut self, context: &str) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.array(context)?))
    }

    fn i32(&mut self, context: &str) -> Result<i32, ModelError> {
        Ok(i32::from_le_bytes(self.array(context)?))
    }

    fn i8s(&mut self, count: u64, context: &str, limits: &Limits) -> Result<Vec<i8>, ModelError> {
        check_elements(count, context, limits)?;
        let bytes = self.take(usize::try_from(count).unwrap_or(usize::MAX), context)?;
        Ok(bytes.iter().map(|&b| b as i8).collect())
    }

    fn i32s(&mut self, count: u64, context: &str, limits: &Limits) -> Result<Vec<i32>, ModelError> {
        check_elements(count, context, limits)?;
        let len = usize::try_from(count)
            .unwrap_or(usize::MAX)
            .saturating_mul(4);
        let bytes = self.take(len, context)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    fn shape(&mut self, context: &str) -> Result<Vec<u32>, ModelError> {
        let rank = usize::from(self.u8(context)?);
        if rank > MAX_RANK {
            return Err(ModelError::RankTooLarge {
                context: context.to_owned(),
                rank,
                max: MAX_RANK,
            });
        }
        (0..rank).map(|_| self.u32(context)).collect()
    }

    fn spec(&mut self, context: &str) -> Result<TensorSpec, ModelError> {
        let code = self.u8(context)?;
        let dtype = DType::from_code(code).ok_or_else(|| ModelError::UnknownDType {
            context: context.to_owned(),
            code,
        })?;
        Ok(TensorSpec::new(dtype, self.shape(context)?))
    }
}
