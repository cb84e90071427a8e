// 8-bit tensor elements are stored as bytes; whether a byte is int8 or uint8 is a push constant.
//
// Requires GL_EXT_shader_explicit_arithmetic_types_int8 and GL_EXT_shader_8bit_storage.

// The element value of `byte`: sign-extended when the tensor is int8, zero-extended for uint8.
int widen_byte(uint8_t byte, uint is_signed) {
    int value = int(uint(byte));
    return is_signed != 0u ? bitfieldExtract(value, 0, 8) : value;
}

// The byte of an 8-bit value already inside its tensor's range.
uint8_t narrow_to_byte(int value) {
    return uint8_t(uint(value) & 0xFFu);
}
