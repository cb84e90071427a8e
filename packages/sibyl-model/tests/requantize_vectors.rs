//! Every known answer in tests/data/requantize.json (checked against a C transcription of gemmlowp).

use serde_json::Value;
use sibyl_model::quant::{Clamp, Requant};
use sibyl_model::{requantize, rounding_divide_by_pot, srdhm};

fn vectors(name: &str) -> Vec<Vec<i64>> {
    let text = include_str!("data/requantize.json");
    let json: Value = serde_json::from_str(text).expect("valid JSON");
    json[name]
        .as_array()
        .expect("array of cases")
        .iter()
        .map(|case| {
            case.as_array()
                .expect("case is an array")
                .iter()
                .map(|v| v.as_i64().expect("integer"))
                .collect()
        })
        .collect()
}

fn i32_of(value: i64) -> i32 {
    i32::try_from(value).expect("fits in i32")
}

#[test]
fn srdhm_known_answers() {
    let cases = vectors("srdhm");
    assert_eq!(cases.len(), 944);
    for case in cases {
        let (a, b, expected) = (i32_of(case[0]), i32_of(case[1]), i32_of(case[2]));
        assert_eq!(srdhm(a, b), expected, "srdhm({a}, {b})");
    }
}

#[test]
fn rounding_divide_by_pot_known_answers() {
    let cases = vectors("rdbpot");
    assert_eq!(cases.len(), 684);
    for case in cases {
        let (x, exponent, expected) = (i32_of(case[0]), case[1], i32_of(case[2]));
        let exponent = u32::try_from(exponent).expect("exponent in 0..=31");
        assert_eq!(
            rounding_divide_by_pot(x, exponent),
            expected,
            "rdbpot({x}, {exponent})"
        );
    }
}

#[test]
fn requantize_known_answers() {
    let cases = vectors("requantize");
    assert_eq!(cases.len(), 600);
    for case in cases {
        let [acc, multiplier, shift, zero_point, min, max, expected] = <[i64; 7]>::try_from(case)
            .expect("seven fields")
            .map(i32_of);
        let requant = Requant::new(multiplier, shift);
        assert!(requant.is_valid(), "vector uses a valid multiplier");
        assert_eq!(
            requantize(acc, requant, zero_point, Clamp::new(min, max)),
            expected,
            "requantize({acc}, {multiplier}, {shift}, {zero_point}, [{min}, {max}])"
        );
    }
}
