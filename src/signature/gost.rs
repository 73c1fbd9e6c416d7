//! GOST R 34.10-2012 signature verification on the published parameter sets: scalars in plain
//! big integers, the curve's points in fixed-width Montgomery arithmetic. Only public data
//! passes through here, so nothing needs constant time.

use std::sync::LazyLock;

use const_oid::ObjectIdentifier;
use crypto_bigint::{
    Uint,
    modular::runtime_mod::{DynResidue, DynResidueParams},
};
use num_bigint::BigUint;
use num_traits::{One, Zero};

/// An elliptic curve y² = x³ + ax + b over the prime field p with a base point of prime order q.
#[derive(Debug)]
pub(crate) struct Curve {
    p: BigUint,
    a: BigUint,
    b: BigUint,
    q: BigUint,
    base: Affine,
    /// Bytes in one coordinate, one half of a signature, and one digest: 32 or 64.
    pub coordinate_len: usize,
}

/// A point given by its affine coordinates; the point at infinity is never one of these.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Affine {
    x: BigUint,
    y: BigUint,
}

/// The published constants of one parameter set, as hexadecimal big-endian numbers.
struct Constants {
    /// The parameter set's name as the standards spell it.
    #[cfg_attr(not(test), allow(dead_code))]
    name: &'static str,
    p: &'static str,
    a: &'static str,
    b: &'static str,
    q: &'static str,
    x: &'static str,
    y: &'static str,
}

/// id-GostR3410-2001-CryptoPro-A-ParamSet (RFC 4357 §11.4), also XchA and tc26 256 paramSetB.
const CRYPTOPRO_A: Constants = Constants {
    name: "id-GostR3410-2001-CryptoPro-A-ParamSet",
    p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
    a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94",
    b: "A6",
    q: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893",
    x: "1",
    y: "8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14",
};

/// id-GostR3410-2001-CryptoPro-B-ParamSet (RFC 4357 §11.4), also tc26 256 paramSetC.
const CRYPTOPRO_B: Constants = Constants {
    name: "id-GostR3410-2001-CryptoPro-B-ParamSet",
    p: "8000000000000000000000000000000000000000000000000000000000000C99",
    a: "8000000000000000000000000000000000000000000000000000000000000C96",
    b: "3E1AF419A269A5F866A7D3C25C3DF80AE979259373FF2B182F49D4CE7E1BBC8B",
    q: "800000000000000000000000000000015F700CFFF1A624E5E497161BCC8A198F",
    x: "1",
    y: "3FA8124359F96680B83D1C3EB2C070E5C545C9858D03ECFB744BF8D717717EFC",
};

/// id-GostR3410-2001-CryptoPro-C-ParamSet (RFC 4357 §11.4), also XchB and tc26 256 paramSetD.
const CRYPTOPRO_C: Constants = Constants {
    name: "id-GostR3410-2001-CryptoPro-C-ParamSet",
    p: "9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D759B",
    a: "9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D7598",
    b: "805A",
    q: "9B9F605F5A858107AB1EC85E6B41C8AA582CA3511EDDFB74F02F3A6598980BB9",
    x: "0",
    y: "41ECE55743711A8C3CBF3783CD08C0EE4D4DC440D4641A8F366E550DFDB3BB67",
};

/// id-tc26-gost-3410-2012-256-paramSetA (RFC 7836 appendix A.2; a twisted Edwards curve given
/// here in its Weierstrass form, cofactor 4, q the order of the base point).
const TC26_256_A: Constants = Constants {
    name: "id-tc26-gost-3410-2012-256-paramSetA",
    p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
    a: "C2173F1513981673AF4892C23035A27CE25E2013BF95AA33B22C656F277E7335",
    b: "295F9BAE7428ED9CCC20E7C359A9D41A22FCCD9108E17BF7BA9337A6F8AE9513",
    q: "400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67",
    x: "91E38443A5E82C0D880923425712B2BB658B9196932E02C78B2582FE742DAA28",
    y: "32879423AB1A0375895786C4BB46E9565FDE0B5344766740AF268ADB32322E5C",
};

/// id-tc26-gost-3410-2012-512-paramSetA (RFC 7836 appendix A.1).
const TC26_512_A: Constants = Constants {
    name: "id-tc26-gost-3410-2012-512-paramSetA",
    p: concat!(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7"
    ),
    a: concat!(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4"
    ),
    b: concat!(
        "E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265",
        "EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760"
    ),
    q: concat!(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275"
    ),
    x: "3",
    y: concat!(
        "7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921",
        "DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4"
    ),
};

/// id-tc26-gost-3410-2012-512-paramSetB (RFC 7836 appendix A.1).
const TC26_512_B: Constants = Constants {
    name: "id-tc26-gost-3410-2012-512-paramSetB",
    p: concat!(
        "8000000000000000000000000000000000000000000000000000000000000000",
        "000000000000000000000000000000000000000000000000000000000000006F"
    ),
    a: concat!(
        "8000000000000000000000000000000000000000000000000000000000000000",
        "000000000000000000000000000000000000000000000000000000000000006C"
    ),
    b: concat!(
        "687D1B459DC841457E3E06CF6F5E2517B97C7D614AF138BCBF85DC806C4B289F",
        "3E965D2DB1416D217F8B276FAD1AB69C50F78BEE1FA3106EFB8CCBC7C5140116"
    ),
    q: concat!(
        "8000000000000000000000000000000000000000000000000000000000000001",
        "49A1EC142565A545ACFDB77BD9D40CFA8B996712101BEA0EC6346C54374F25BD"
    ),
    x: "2",
    y: concat!(
        "1A8F7EDA389B094C2C071E3647A8940F3C123B697578C213BE6DD9E6C8EC7335",
        "DCB228FD1EDF4A39152CBCAAF8C0398828041055F94CEEEC7E21340780FE41BD"
    ),
};

/// id-tc26-gost-3410-2012-512-paramSetC (R 1323565.1.024-2019; a twisted Edwards curve in its
/// Weierstrass form, cofactor 4, q the order of the base point).
const TC26_512_C: Constants = Constants {
    name: "id-tc26-gost-3410-2012-512-paramSetC",
    p: concat!(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7"
    ),
    a: concat!(
        "DC9203E514A721875485A529D2C722FB187BC8980EB866644DE41C68E1430645",
        "46E861C0E2C9EDD92ADE71F46FCF50FF2AD97F951FDA9F2A2EB6546F39689BD3"
    ),
    b: concat!(
        "B4C4EE28CEBC6C2C8AC12952CF37F16AC7EFB6A9F69F4B57FFDA2E4F0DE5ADE0",
        "38CBC2FFF719D2C18DE0284B8BFEF3B52B8CC7A5F5BF0A3C8D2319A5312557E1"
    ),
    q: concat!(
        "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "C98CDBA46506AB004C33A9FF5147502CC8EDA9E7A769A12694623CEF47F023ED"
    ),
    x: concat!(
        "E2E31EDFC23DE7BDEBE241CE593EF5DE2295B7A9CBAEF021D385F7074CEA043A",
        "A27272A7AE602BF2A7B9033DB9ED3610C6FB85487EAE97AAC5BC7928C1950148"
    ),
    y: concat!(
        "F5CE40D95B5EB899ABBCCFF5911CB8577939804D6527378B8C108C3D2090FF9B",
        "E18E2D33E3021ED2EF32D85822423B6304F726AA854BAE07D0396E9A9ADDC40F"
    ),
};

/// The curves in a fixed order; [`PARAMETER_SETS`] points into it.
static CURVES: LazyLock<[Curve; 7]> = LazyLock::new(|| {
    [
        Curve::from_constants(&CRYPTOPRO_A, 32),
        Curve::from_constants(&CRYPTOPRO_B, 32),
        Curve::from_constants(&CRYPTOPRO_C, 32),
        Curve::from_constants(&TC26_256_A, 32),
        Curve::from_constants(&TC26_512_A, 64),
        Curve::from_constants(&TC26_512_B, 64),
        Curve::from_constants(&TC26_512_C, 64),
    ]
});

/// Parameter-set OIDs found in certificates, with the index of their curve in [`CURVES`].
const PARAMETER_SETS: [(ObjectIdentifier, usize); 12] = [
    // id-GostR3410-2001-CryptoPro-A/B/C-ParamSet.
    (ObjectIdentifier::new_unwrap("1.2.643.2.2.35.1"), 0),
    (ObjectIdentifier::new_unwrap("1.2.643.2.2.35.2"), 1),
    (ObjectIdentifier::new_unwrap("1.2.643.2.2.35.3"), 2),
    // id-GostR3410-2001-CryptoPro-XchA/XchB-ParamSet: the A and C curves again.
    (ObjectIdentifier::new_unwrap("1.2.643.2.2.36.0"), 0),
    (ObjectIdentifier::new_unwrap("1.2.643.2.2.36.1"), 2),
    // id-tc26-gost-3410-2012-256-paramSetA..D: B, C and D are the CryptoPro A, B and C curves.
    (ObjectIdentifier::new_unwrap("1.2.643.7.1.2.1.1.1"), 3),
    (ObjectIdentifier::new_unwrap("1.2.643.7.1.2.1.1.2"), 0),
    (ObjectIdentifier::new_unwrap("1.2.643.7.1.2.1.1.3"), 1),
    (ObjectIdentifier::new_unwrap("1.2.643.7.1.2.1.1.4"), 2),
    // id-tc26-gost-3410-2012-512-paramSetA..C.
    (ObjectIdentifier::new_unwrap("1.2.643.7.1.2.1.2.1"), 4),
    (ObjectIdentifier::new_unwrap("1.2.643.7.1.2.1.2.2"), 5),
    (ObjectIdentifier::new_unwrap("1.2.643.7.1.2.1.2.3"), 6),
];

/// The curve of a parameter-set OID, when it is one of the supported ones.
pub(crate) fn curve_for_parameter_set(oid: &ObjectIdentifier) -> Option<&'static Curve> {
    let curves: &'static [Curve; 7] = &CURVES;
    PARAMETER_SETS
        .iter()
        .find(|(known, _)| known == oid)
        .and_then(|(_, index)| curves.get(*index))
}

fn hex_number(digits: &str) -> BigUint {
    // The constants above are fixed hexadecimal literals; the tests parse every one of them.
    BigUint::parse_bytes(digits.as_bytes(), 16).unwrap_or_default()
}

impl Curve {
    fn from_constants(constants: &Constants, coordinate_len: usize) -> Curve {
        Curve {
            p: hex_number(constants.p),
            a: hex_number(constants.a),
            b: hex_number(constants.b),
            q: hex_number(constants.q),
            base: Affine {
                x: hex_number(constants.x),
                y: hex_number(constants.y),
            },
            coordinate_len,
        }
    }

    /// Key size in bits: 256 or 512.
    pub fn bits(&self) -> usize {
        self.coordinate_len * 8
    }

    fn contains(&self, point: &Affine) -> bool {
        let p = &self.p;
        if point.x >= *p || point.y >= *p {
            return false;
        }
        let left = (&point.y * &point.y) % p;
        let right = ((&point.x * &point.x % p) * &point.x + &self.a * &point.x + &self.b) % p;
        left == right
    }

    /// k1·P1 + k2·P2, in the field arithmetic of the curve's size.
    fn double_multiply(
        &self,
        k1: &BigUint,
        p1: &Affine,
        k2: &BigUint,
        p2: &Affine,
    ) -> Option<Affine> {
        if self.coordinate_len == 32 {
            Field::<4>::of(self).double_multiply(k1, p1, k2, p2)
        } else {
            Field::<8>::of(self).double_multiply(k1, p1, k2, p2)
        }
    }
}

/// The prime field of a curve in `L` 64-bit limbs, its elements kept in Montgomery form:
/// multiplying never divides, which is where plain big integers spend their time.
struct Field<const L: usize> {
    params: DynResidueParams<L>,
    a: Element<L>,
}

type Element<const L: usize> = DynResidue<L>;

/// A point in Jacobian coordinates (X/Z², Y/Z³); Z = 0 is the point at infinity.
#[derive(Clone, Copy, Debug)]
struct Jacobian<const L: usize> {
    x: Element<L>,
    y: Element<L>,
    z: Element<L>,
}

impl<const L: usize> Jacobian<L> {
    fn is_infinity(&self) -> bool {
        is_zero(&self.z)
    }
}

fn is_zero<const L: usize>(element: &Element<L>) -> bool {
    // Zero is zero in Montgomery form too, and elements are kept fully reduced.
    *element.as_montgomery() == Uint::ZERO
}

/// A number below 2^(64·L) as `L` limbs.
fn limbs<const L: usize>(number: &BigUint) -> Uint<L> {
    let mut bytes = number.to_bytes_le();
    debug_assert!(bytes.len() <= L * 8, "a number wider than the field");
    bytes.resize(L * 8, 0);
    Uint::from_le_slice(&bytes)
}

fn big<const L: usize>(number: &Uint<L>) -> BigUint {
    let bytes: Vec<u8> = number
        .as_words()
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    BigUint::from_bytes_le(&bytes)
}

impl<const L: usize> Field<L> {
    fn of(curve: &Curve) -> Self {
        // Every curve's p is an odd prime, as Montgomery form needs.
        let params = DynResidueParams::new(&limbs(&curve.p));
        Field {
            params,
            a: DynResidue::new(&limbs(&curve.a), params),
        }
    }

    fn element(&self, number: &BigUint) -> Element<L> {
        DynResidue::new(&limbs(number), self.params)
    }

    fn point(&self, point: &Affine) -> Jacobian<L> {
        Jacobian {
            x: self.element(&point.x),
            y: self.element(&point.y),
            z: DynResidue::one(self.params),
        }
    }

    fn infinity(&self) -> Jacobian<L> {
        Jacobian {
            x: DynResidue::one(self.params),
            y: DynResidue::one(self.params),
            z: DynResidue::zero(self.params),
        }
    }

    /// 2·P, with the general formula in `a` (only some of the curves have a = −3).
    fn double(&self, point: &Jacobian<L>) -> Jacobian<L> {
        if point.is_infinity() || is_zero(&point.y) {
            return self.infinity();
        }
        let Jacobian { x, y, z } = point;
        let yy = y.square();
        let zz = z.square();
        let xyy = x.mul(&yy);
        let s = xyy.add(&xyy).add(&xyy.add(&xyy));
        let xx = x.square();
        let m = xx.add(&xx).add(&xx).add(&self.a.mul(&zz.square()));
        let x3 = m.square().sub(&s.add(&s));
        let yyyy = yy.square();
        let yyyy2 = yyyy.add(&yyyy);
        let yyyy8 = {
            let yyyy4 = yyyy2.add(&yyyy2);
            yyyy4.add(&yyyy4)
        };
        let y3 = m.mul(&s.sub(&x3)).sub(&yyyy8);
        let yz = y.mul(z);
        Jacobian {
            x: x3,
            y: y3,
            z: yz.add(&yz),
        }
    }

    /// P + Q.
    fn add(&self, left: &Jacobian<L>, right: &Jacobian<L>) -> Jacobian<L> {
        if left.is_infinity() {
            return *right;
        }
        if right.is_infinity() {
            return *left;
        }
        let z1z1 = left.z.square();
        let z2z2 = right.z.square();
        let u1 = left.x.mul(&z2z2);
        let u2 = right.x.mul(&z1z1);
        let s1 = left.y.mul(&right.z.mul(&z2z2));
        let s2 = right.y.mul(&left.z.mul(&z1z1));
        let h = u2.sub(&u1);
        let r = s2.sub(&s1);
        if is_zero(&h) {
            return if is_zero(&r) {
                self.double(left)
            } else {
                self.infinity()
            };
        }
        let hh = h.square();
        let hhh = h.mul(&hh);
        let v = u1.mul(&hh);
        let x = r.square().sub(&hhh).sub(&v.add(&v));
        let y = r.mul(&v.sub(&x)).sub(&s1.mul(&hhh));
        let z = left.z.mul(&right.z).mul(&h);
        Jacobian { x, y, z }
    }

    fn to_affine(&self, point: &Jacobian<L>) -> Option<Affine> {
        if point.is_infinity() {
            return None;
        }
        let (z_inverse, _) = point.z.invert();
        let z_inverse2 = z_inverse.square();
        Some(Affine {
            x: big(&point.x.mul(&z_inverse2).retrieve()),
            y: big(&point.y.mul(&z_inverse2.mul(&z_inverse)).retrieve()),
        })
    }

    /// k1·P1 + k2·P2 by one pass over the bits of both scalars (Shamir's trick).
    fn double_multiply(
        &self,
        k1: &BigUint,
        p1: &Affine,
        k2: &BigUint,
        p2: &Affine,
    ) -> Option<Affine> {
        let p1 = self.point(p1);
        let p2 = self.point(p2);
        let both = self.add(&p1, &p2);
        let mut sum = self.infinity();
        for bit in (0..k1.bits().max(k2.bits())).rev() {
            sum = self.double(&sum);
            sum = match (k1.bit(bit), k2.bit(bit)) {
                (true, true) => self.add(&sum, &both),
                (true, false) => self.add(&sum, &p1),
                (false, true) => self.add(&sum, &p2),
                (false, false) => sum,
            };
        }
        self.to_affine(&sum)
    }
}

/// A GOST R 34.10-2012 public key: a point of a known curve.
#[derive(Debug)]
pub(crate) struct PublicKey {
    curve: &'static Curve,
    point: Affine,
}

impl PublicKey {
    /// Reads a key as certificates carry it: X then Y, each little-endian, filling exactly
    /// two coordinates. Refuses a point that is not on the curve.
    pub fn from_le_coordinates(curve: &'static Curve, bytes: &[u8]) -> Option<PublicKey> {
        if bytes.len() != 2 * curve.coordinate_len {
            return None;
        }
        let (x, y) = bytes.split_at(curve.coordinate_len);
        let point = Affine {
            x: BigUint::from_bytes_le(x),
            y: BigUint::from_bytes_le(y),
        };
        curve.contains(&point).then_some(PublicKey { curve, point })
    }

    /// The curve the key lies on.
    pub fn curve(&self) -> &'static Curve {
        self.curve
    }

    /// Checks a signature s‖r (each big-endian, one coordinate long) over a digest that is read
    /// as a little-endian integer, as CMS and X.509 carry them.
    pub fn verify(&self, digest: &[u8], signature: &[u8]) -> bool {
        let half = self.curve.coordinate_len;
        if signature.len() != 2 * half {
            return false;
        }
        let (s, r) = signature.split_at(half);
        let r = BigUint::from_bytes_be(r);
        let s = BigUint::from_bytes_be(s);
        let e = BigUint::from_bytes_le(digest);
        verify_numbers(self.curve, &self.point, &e, &r, &s)
    }
}

/// The verification of GOST R 34.10-2012 §6.2 on numbers: e is the digest as an integer.
fn verify_numbers(curve: &Curve, key: &Affine, e: &BigUint, r: &BigUint, s: &BigUint) -> bool {
    let q = &curve.q;
    if r.is_zero() || s.is_zero() || r >= q || s >= q {
        return false;
    }
    let mut e = e % q;
    if e.is_zero() {
        e = BigUint::one();
    }
    let v = e.modpow(&(q - 2u32), q);
    let z1 = (s * &v) % q;
    let z2 = (q - (r * &v) % q) % q;
    match curve.double_multiply(&z1, &curve.base, &z2, key) {
        Some(point) => point.x % q == *r,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(hex: &str) -> BigUint {
        BigUint::parse_bytes(hex.as_bytes(), 16).expect("a hexadecimal number")
    }

    fn multiply(curve: &Curve, k: &BigUint, point: &Affine) -> Option<Affine> {
        curve.double_multiply(k, point, &BigUint::zero(), point)
    }

    fn named_curves() -> impl Iterator<Item = (&'static Curve, &'static str)> {
        let curves: &'static [Curve; 7] = &CURVES;
        curves
            .iter()
            .zip(all_constants().map(|constants| constants.name))
    }

    fn all_constants() -> [&'static Constants; 7] {
        [
            &CRYPTOPRO_A,
            &CRYPTOPRO_B,
            &CRYPTOPRO_C,
            &TC26_256_A,
            &TC26_512_A,
            &TC26_512_B,
            &TC26_512_C,
        ]
    }

    #[test]
    fn every_constant_is_a_hexadecimal_number() {
        for constants in all_constants() {
            for digits in [
                constants.p,
                constants.a,
                constants.b,
                constants.q,
                constants.x,
                constants.y,
            ] {
                assert!(
                    BigUint::parse_bytes(digits.as_bytes(), 16).is_some(),
                    "{digits}"
                );
            }
        }
    }

    #[test]
    fn the_base_point_of_every_curve_lies_on_it() {
        for (curve, name) in named_curves() {
            assert!(curve.contains(&curve.base), "{name}");
        }
    }

    #[test]
    fn order_times_the_base_point_is_the_point_at_infinity_on_every_curve() {
        for (curve, name) in named_curves() {
            assert_eq!(multiply(curve, &curve.q, &curve.base), None, "{name}");
            let one_less = &curve.q - 1u32;
            let minus_base = multiply(curve, &one_less, &curve.base).expect("a finite point");
            assert_eq!(minus_base.x, curve.base.x, "{name}");
            assert_eq!(minus_base.y, &curve.p - &curve.base.y, "{name}");
        }
    }

    #[test]
    fn every_curve_has_the_size_its_parameter_sets_claim() {
        for (curve, name) in named_curves() {
            let field_bits = curve.p.bits() as usize;
            assert!(
                field_bits <= curve.bits() && field_bits > curve.bits() - 8,
                "{name}"
            );
            assert!(curve.q.bits() as usize > curve.bits() - 8, "{name}");
        }
    }

    #[test]
    fn every_supported_parameter_set_has_a_curve_of_its_size() {
        let expected_bits = [256, 256, 256, 256, 256, 256, 256, 256, 256, 512, 512, 512];
        for ((oid, _), bits) in PARAMETER_SETS.iter().zip(expected_bits) {
            let curve = curve_for_parameter_set(oid).expect("a supported parameter set");
            assert_eq!(curve.bits(), bits, "{oid}");
        }
        let gost_2001_test_set = ObjectIdentifier::new_unwrap("1.2.643.2.2.35.0");
        assert!(curve_for_parameter_set(&gost_2001_test_set).is_none());
    }

    fn doubled_and_added_base<const L: usize>(curve: &Curve) -> (Option<Affine>, Option<Affine>) {
        let field = Field::<L>::of(curve);
        let base = field.point(&curve.base);
        (
            field.to_affine(&field.double(&base)),
            field.to_affine(&field.add(&base, &base)),
        )
    }

    #[test]
    fn doubling_agrees_with_adding_a_point_to_itself() {
        for (curve, name) in named_curves() {
            let (doubled, added) = if curve.coordinate_len == 32 {
                doubled_and_added_base::<4>(curve)
            } else {
                doubled_and_added_base::<8>(curve)
            };
            assert!(doubled.is_some(), "{name}");
            assert_eq!(doubled, added, "{name}");
            let three = multiply(curve, &BigUint::from(3u32), &curve.base).expect("a point");
            assert!(curve.contains(&three), "{name}");
        }
    }

    /// The example curve of GOST R 34.10-2012 appendix A.1 (not used in certificates).
    fn standard_example_256() -> Curve {
        Curve::from_constants(
            &Constants {
                name: "GOST R 34.10-2012 example A.1",
                p: "8000000000000000000000000000000000000000000000000000000000000431",
                a: "7",
                b: "5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E",
                q: "8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3",
                x: "2",
                y: "08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8",
            },
            32,
        )
    }

    /// The example curve of GOST R 34.10-2012 appendix A.2 (not used in certificates).
    fn standard_example_512() -> Curve {
        Curve::from_constants(
            &Constants {
                name: "GOST R 34.10-2012 example A.2",
                p: concat!(
                    "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D",
                    "F1D852741AF4704A0458047E80E4546D35B8336FAC224DD81664BBF528BE6373"
                ),
                a: "7",
                b: concat!(
                    "1CFF0806A31116DA29D8CFA54E57EB748BC5F377E49400FDD788B649ECA1AC43",
                    "61834013B2AD7322480A89CA58E0CF74BC9E540C2ADD6897FAD0A3084F302ADC"
                ),
                q: concat!(
                    "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D",
                    "A82F2D7ECB1DBAC719905C5EECC423F1D86E25EDBE23C595D644AAF187E6E6DF"
                ),
                x: concat!(
                    "24D19CC64572EE30F396BF6EBBFD7A6C5213B3B3D7057CC825F91093A68CD762",
                    "FD60611262CD838DC6B60AA7EEE804E28BC849977FAC33B4B530F1B120248A9A"
                ),
                y: concat!(
                    "2BB312A43BD2CE6E0D020613C857ACDDCFBF061E91E5F2C3F32447C259F39B2C",
                    "83AB156D77F1496BF7EB3351E1EE4E43DC1A18B91B24640B6DBB92CB1ADD371E"
                ),
            },
            64,
        )
    }

    struct Example {
        key: Affine,
        e: BigUint,
        r: BigUint,
        s: BigUint,
    }

    fn example_256() -> Example {
        Example {
            key: Affine {
                x: number("7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B"),
                y: number("26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA"),
            },
            e: number("2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5"),
            r: number("41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493"),
            s: number("01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40"),
        }
    }

    fn example_512() -> Example {
        Example {
            key: Affine {
                x: number(concat!(
                    "115DC5BC96760C7B48598D8AB9E740D4C4A85A65BE33C1815B5C320C854621DD",
                    "5A515856D13314AF69BC5B924C8B4DDFF75C45415C1D9DD9DD33612CD530EFE1"
                )),
                y: number(concat!(
                    "37C7C90CD40B0F5621DC3AC1B751CFA0E2634FA0503B3D52639F5D7FB72AFD61",
                    "EA199441D943FFE7F0C70A2759A3CDB84C114E1F9339FDF27F35ECA93677BEEC"
                )),
            },
            e: number(concat!(
                "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C591",
                "7184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C"
            )),
            r: number(concat!(
                "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD3",
                "5492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36"
            )),
            s: number(concat!(
                "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5",
                "823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A"
            )),
        }
    }

    #[test]
    fn the_256_bit_example_of_the_standard_verifies() {
        let curve = standard_example_256();
        let example = example_256();
        assert!(curve.contains(&curve.base));
        assert!(curve.contains(&example.key));
        assert!(verify_numbers(
            &curve,
            &example.key,
            &example.e,
            &example.r,
            &example.s
        ));
    }

    #[test]
    fn the_512_bit_example_of_the_standard_verifies() {
        let curve = standard_example_512();
        let example = example_512();
        assert!(curve.contains(&curve.base));
        assert!(curve.contains(&example.key));
        assert!(verify_numbers(
            &curve,
            &example.key,
            &example.e,
            &example.r,
            &example.s
        ));
    }

    #[test]
    fn the_examples_fail_with_another_digest_or_a_changed_signature() {
        for (curve, example) in [
            (standard_example_256(), example_256()),
            (standard_example_512(), example_512()),
        ] {
            let Example { key, e, r, s } = example;
            let other_e = &e + 1u32;
            assert!(!verify_numbers(&curve, &key, &other_e, &r, &s));
            assert!(!verify_numbers(&curve, &key, &e, &(&r + 1u32), &s));
            assert!(!verify_numbers(
                &curve,
                &key,
                &e,
                &r,
                &(&s ^ BigUint::from(4u32))
            ));
        }
    }

    #[test]
    fn out_of_range_r_and_s_are_refused() {
        let curve = standard_example_256();
        let Example { key, e, r, s } = example_256();
        assert!(!verify_numbers(&curve, &key, &e, &BigUint::zero(), &s));
        assert!(!verify_numbers(&curve, &key, &e, &r, &BigUint::zero()));
        assert!(!verify_numbers(&curve, &key, &e, &(&r + &curve.q), &s));
        assert!(!verify_numbers(&curve, &key, &e, &r, &(&s + &curve.q)));
    }

    #[test]
    fn the_byte_conventions_are_little_endian_key_and_digest_and_s_before_r() {
        let curve: &'static Curve = Box::leak(Box::new(standard_example_256()));
        let Example { key, e, r, s } = example_256();
        let le = |n: &BigUint| {
            let mut bytes = n.to_bytes_le();
            bytes.resize(32, 0);
            bytes
        };
        let be = |n: &BigUint| {
            let mut bytes = n.to_bytes_le();
            bytes.resize(32, 0);
            bytes.reverse();
            bytes
        };
        let public_key = PublicKey::from_le_coordinates(curve, &[le(&key.x), le(&key.y)].concat())
            .expect("a point on the curve");
        let signature = [be(&s), be(&r)].concat();
        assert!(public_key.verify(&le(&e), &signature));
        assert!(!public_key.verify(&be(&e), &signature));
        assert!(!public_key.verify(&le(&e), &[be(&r), be(&s)].concat()));
        assert!(!public_key.verify(&le(&e), &signature[1..]));
    }

    #[test]
    fn a_key_off_the_curve_or_of_the_wrong_length_is_refused() {
        let curve = curve_for_parameter_set(&ObjectIdentifier::new_unwrap("1.2.643.2.2.35.1"))
            .expect("CryptoPro A");
        let mut bytes = vec![0u8; 64];
        bytes[0] = 1;
        bytes[32] = 2;
        assert!(PublicKey::from_le_coordinates(curve, &bytes).is_none());
        assert!(PublicKey::from_le_coordinates(curve, &bytes[..63]).is_none());
        let mut base = curve.base.x.to_bytes_le();
        base.resize(32, 0);
        let mut y = curve.base.y.to_bytes_le();
        y.resize(32, 0);
        base.extend(y);
        assert!(PublicKey::from_le_coordinates(curve, &base).is_some());
    }

    /// Signs by §6.1 of the standard with a given private key and nonce: test use only.
    fn sign(curve: &Curve, d: &BigUint, k: &BigUint, e: &BigUint) -> (BigUint, BigUint) {
        let q = &curve.q;
        let mut e = e % q;
        if e.is_zero() {
            e = BigUint::one();
        }
        let point = multiply(curve, k, &curve.base).expect("k is not a multiple of q");
        let r = point.x % q;
        let s = (&r * d + k * e) % q;
        (r, s)
    }

    #[test]
    fn signing_the_example_with_its_private_key_gives_the_published_signature() {
        let curve = standard_example_256();
        let d = number("7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28");
        let k = number("77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3");
        let example = example_256();
        assert_eq!(multiply(&curve, &d, &curve.base), Some(example.key));
        assert_eq!(sign(&curve, &d, &k, &example.e), (example.r, example.s));
    }

    #[test]
    fn every_curve_verifies_what_a_known_key_signed_and_nothing_else() {
        for (curve, name) in named_curves() {
            let d = number("1D19CE9891EC3B281B60961F49397EEE10ED359DD39A72C17A929ADE789BB9BE")
                % &curve.q;
            let k = number("6DE33814E95B7FE64FED924594DCEAB32823C8CF6FCC7B9577105C9B20BCD312")
                % &curve.q;
            let e = number("2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5");
            let key = multiply(curve, &d, &curve.base).expect("a point");
            assert!(curve.contains(&key), "{name}");
            let (r, s) = sign(curve, &d, &k, &e);
            assert!(verify_numbers(curve, &key, &e, &r, &s), "{name}");
            assert!(!verify_numbers(curve, &key, &(&e + 1u32), &r, &s), "{name}");
            let other_key = multiply(curve, &(&d + 1u32), &curve.base).expect("a point");
            assert!(!verify_numbers(curve, &other_key, &e, &r, &s), "{name}");
        }
    }

    #[test]
    fn a_digest_that_is_zero_modulo_q_is_taken_as_one() {
        let curve = standard_example_256();
        let d = number("7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28");
        let k = number("77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3");
        let key = multiply(&curve, &d, &curve.base).expect("a point");
        let (r, s) = sign(&curve, &d, &k, &BigUint::one());
        assert!(verify_numbers(&curve, &key, &curve.q, &r, &s));
        assert!(verify_numbers(&curve, &key, &BigUint::zero(), &r, &s));
        assert!(!verify_numbers(&curve, &key, &BigUint::from(2u32), &r, &s));
    }
}
