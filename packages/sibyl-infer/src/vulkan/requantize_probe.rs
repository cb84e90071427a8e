//! The GLSL requantization (shaders/requantize.glsl) against every known answer in
//! sibyl-model's tests/data/requantize.json, through a test-only shader.

use serde_json::Value;
use vulkano::buffer::BufferContents;
use vulkano::command_buffer::CopyBufferInfo;
use vulkano::descriptor_set::WriteDescriptorSet;

use crate::vulkan::buffers::{device_bytes, host_bytes, upload, HostAccess};
use crate::vulkan::context::VulkanContext;
use crate::vulkan::dispatch::Dispatch;
use crate::vulkan::prepared::command_buffer;
use crate::vulkan::shaders::{compute_pipeline, REQUANTIZE_PROBE};

const VECTORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../sibyl-model/tests/data/requantize.json"
));

#[derive(BufferContents, Clone, Copy)]
#[repr(C)]
struct ProbeParams {
    cases: u32,
    mode: u32,
}

/// Runs the probe shader in `mode` on `cases` (each padded to 6 ints), returning one int each.
fn evaluate(context: &VulkanContext, mode: u32, cases: &[Vec<i32>]) -> Vec<i32> {
    let pipeline = compute_pipeline(context, REQUANTIZE_PROBE).unwrap();
    let flat: Vec<i32> = cases
        .iter()
        .flat_map(|case| case.iter().copied().chain(std::iter::repeat(0)).take(6))
        .collect();
    let results_len = 4 * cases.len() as u64;
    let results = device_bytes(context, results_len).unwrap();
    let readback = host_bytes(context, results_len, HostAccess::Read).unwrap();
    let mut builder = command_buffer(context).unwrap();
    let inputs = upload(context, &mut builder, &flat, "cases").unwrap();
    let params = ProbeParams {
        cases: cases.len() as u32,
        mode,
    };
    let dispatch = Dispatch::new(
        context,
        &pipeline,
        vec![
            WriteDescriptorSet::buffer(0, inputs),
            WriteDescriptorSet::buffer(1, results.clone()),
        ],
        params,
        [(cases.len() as u32).div_ceil(64), 1, 1],
    )
    .unwrap();
    dispatch.record(&mut builder).unwrap();
    builder
        .copy_buffer(CopyBufferInfo::buffers(results, readback.clone()))
        .unwrap();
    context
        .submit_and_wait(builder.build().unwrap(), "probing")
        .unwrap();
    let bytes = readback.read().unwrap();
    bytes
        .chunks_exact(4)
        .take(cases.len())
        .map(|word| i32::from_le_bytes([word[0], word[1], word[2], word[3]]))
        .collect()
}

/// The arguments (all but the last column) and expected results (the last column) of one table.
fn table(vectors: &Value, name: &str) -> (Vec<Vec<i32>>, Vec<i32>) {
    vectors[name]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let row: Vec<i32> = row
                .as_array()
                .unwrap()
                .iter()
                .map(|value| i32::try_from(value.as_i64().unwrap()).unwrap())
                .collect();
            let (expected, arguments) = row.split_last().unwrap();
            (arguments.to_vec(), *expected)
        })
        .unzip()
}

#[test]
fn glsl_requantization_reproduces_every_known_answer() {
    let context = VulkanContext::open(super::Devices::Any)
        .expect("these tests need a Vulkan device (lavapipe)");
    let vectors: Value = serde_json::from_str(VECTORS).unwrap();
    let mut checked = 0;
    for (mode, name) in [(0, "srdhm"), (1, "rdbpot"), (2, "requantize")] {
        let (cases, expected) = table(&vectors, name);
        assert!(!cases.is_empty(), "{name} has no vectors");
        let results = evaluate(&context, mode, &cases);
        for ((case, want), got) in cases.iter().zip(&expected).zip(&results) {
            assert_eq!(got, want, "{name}{case:?}");
        }
        checked += cases.len();
    }
    assert_eq!(checked, 2228);
}
