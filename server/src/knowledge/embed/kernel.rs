//! The few numeric kernels all-MiniLM-L6-v2 needs, in plain Rust: a dense
//! layer (`y = x·W + b`) with an AVX2/FMA micro-kernel chosen at run time,
//! attention for one head, layer norm and GELU. Row-major `f32`
//! throughout, except the dense weights, kept as `f16`: a short query is
//! bound by reading the weights, and at 21 MB instead of 42 they take half
//! the memory traffic and fit a 32 MB L3 cache.

use half::f16;
use rayon::prelude::*;

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// The dense kernel also widens its `f16` weights with F16C.
#[cfg(target_arch = "x86_64")]
fn has_avx2_f16c() -> bool {
    has_avx2() && std::arch::is_x86_feature_detected!("f16c")
}

/// Runs `$body` (a plain loop over slices) compiled for AVX2 when the CPU
/// has it, so the compiler's vectorised loop is eight lanes wide.
macro_rules! wide {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)? $body:block) => {
        $(#[$doc])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            if has_avx2() {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn wide($($arg: $ty),*) $(-> $ret)? { body($($arg),*) }
                // SAFETY: the CPU has the features.
                return unsafe { wide($($arg),*) };
            }
            body($($arg),*)
        }
    };
}

/// Output columns per micro-kernel tile (two 8-lane registers).
const COLUMNS: usize = 16;
/// Rows per micro-kernel tile: 6 × 2 accumulators + 2 weight registers
/// + 1 broadcast fit the 16 vector registers.
const ROWS: usize = 6;

/// A dense layer. The weight is stored in panels of 16 output columns, each
/// panel `inputs × 16` and contiguous, so the kernel reads it sequentially;
/// as `f16`, whose rounding keeps every embedding within the reference
/// test's bound (cosine > 0.9999 to the reference model's).
pub struct Dense {
    weight: Vec<f16>,
    bias: Vec<f32>,
    inputs: usize,
}

impl Dense {
    /// From a weight stored `outputs × inputs` (PyTorch's layout).
    pub fn from_torch(weight: &[f32], bias: Vec<f32>) -> Result<Self, String> {
        let outputs = bias.len();
        if outputs == 0 || !outputs.is_multiple_of(COLUMNS) || !weight.len().is_multiple_of(outputs) {
            return Err(format!("a dense layer of {outputs} outputs and {} weights is not supported", weight.len()));
        }
        let inputs = weight.len() / outputs;
        let mut panels = vec![f16::ZERO; weight.len()];
        for (o, row) in weight.chunks_exact(inputs).enumerate() {
            let panel = &mut panels[(o / COLUMNS) * inputs * COLUMNS..];
            for (i, w) in row.iter().enumerate() {
                panel[i * COLUMNS + o % COLUMNS] = f16::from_f32(*w);
            }
        }
        Ok(Dense { weight: panels, bias, inputs })
    }

    /// Joins layers that read the same input into one, outputs side by side.
    pub fn concat(parts: &[Dense]) -> Dense {
        Dense {
            weight: parts.iter().flat_map(|p| p.weight.iter().copied()).collect(),
            bias: parts.iter().flat_map(|p| p.bias.iter().copied()).collect(),
            inputs: parts[0].inputs,
        }
    }

    pub fn outputs(&self) -> usize {
        self.bias.len()
    }

    /// `x` holds whole rows of `inputs` values; returns rows of `outputs`.
    /// The work is split between the pool's threads: by rows when there
    /// are many, by output columns when there are few (a short query), so
    /// that each thread streams only its share of the weight.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        let rows = x.len() / self.inputs;
        let outputs = self.outputs();
        let threads = rayon::current_num_threads();
        let mut y = vec![0f32; rows * outputs];
        if rows >= 4 * ROWS * threads {
            let per_task = rows.div_ceil(threads);
            y.par_chunks_mut(per_task * outputs)
                .zip(x.par_chunks(per_task * self.inputs))
                .for_each(|(y, x)| dense(x, self.inputs, &self.weight, &self.bias, y));
            return y;
        }
        let panel = self.inputs * COLUMNS;
        let per_task = (outputs / COLUMNS).div_ceil(threads) * COLUMNS;
        let parts: Vec<Vec<f32>> = self
            .bias
            .par_chunks(per_task)
            .zip(self.weight.par_chunks(per_task / COLUMNS * panel))
            .map(|(bias, weight)| {
                let mut part = vec![0f32; rows * bias.len()];
                dense(x, self.inputs, weight, bias, &mut part);
                part
            })
            .collect();
        for (task, part) in parts.iter().enumerate() {
            let width = part.len() / rows.max(1);
            for (row, values) in part.chunks_exact(width.max(1)).enumerate() {
                y[row * outputs + task * per_task..][..width].copy_from_slice(values);
            }
        }
        y
    }
}

/// `y = x·W + b` for whole rows of `x`; `W` in panels, `y` rows of `bias.len()`.
fn dense(x: &[f32], inputs: usize, weight: &[f16], bias: &[f32], y: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_f16c() {
        // SAFETY: the CPU has the features the kernel was compiled for.
        return unsafe { avx2::dense(x, inputs, weight, bias, y) };
    }
    portable_dense(x, inputs, weight, bias, y);
}

fn portable_dense(x: &[f32], inputs: usize, weight: &[f16], bias: &[f32], y: &mut [f32]) {
    let outputs = bias.len();
    for (xr, yr) in x.chunks_exact(inputs).zip(y.chunks_exact_mut(outputs)) {
        yr.copy_from_slice(bias);
        for (panel, ys) in weight.chunks_exact(inputs * COLUMNS).zip(yr.chunks_exact_mut(COLUMNS)) {
            for (xv, ws) in xr.iter().zip(panel.chunks_exact(COLUMNS)) {
                for (yv, wv) in ys.iter_mut().zip(ws) {
                    *yv += xv * wv.to_f32();
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use half::f16;

    use super::{COLUMNS, ROWS};

    /// Eight floats from `$p`, unaligned. `_mm256_loadu_ps` goes through
    /// `ptr::read_unaligned`, whose debug precondition check (a call per
    /// load in lightly optimised test builds) cost more than the FMAs;
    /// `lddqu` is the same unaligned load without it.
    macro_rules! load {
        ($p:expr) => {
            _mm256_castsi256_ps(_mm256_lddqu_si256($p.cast()))
        };
    }

    /// Eight `f16` from `$p`, unaligned, widened to `f32`.
    macro_rules! load_f16 {
        ($p:expr) => {
            _mm256_cvtph_ps(_mm_lddqu_si128($p.cast()))
        };
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn dense(x: &[f32], inputs: usize, weight: &[f16], bias: &[f32], y: &mut [f32]) {
        let rows = x.len() / inputs;
        let outputs = bias.len();
        for column in (0..outputs).step_by(COLUMNS) {
            let mut row = 0;
            while row < rows {
                let take = (rows - row).min(ROWS);
                let (x, y) = (&x[row * inputs..], &mut y[row * outputs..]);
                match take {
                    6 => tile::<6>(x, inputs, weight, bias, y, column),
                    5 => tile::<5>(x, inputs, weight, bias, y, column),
                    4 => tile::<4>(x, inputs, weight, bias, y, column),
                    3 => tile::<3>(x, inputs, weight, bias, y, column),
                    2 => tile::<2>(x, inputs, weight, bias, y, column),
                    _ => tile::<1>(x, inputs, weight, bias, y, column),
                }
                row += take;
            }
        }
    }

    /// Two accumulators of eight lanes each, so consecutive FMAs overlap.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let (mut even, mut odd) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut i = 0;
        while i + 16 <= n {
            even = _mm256_fmadd_ps(load!(pa.wrapping_add(i)), load!(pb.wrapping_add(i)), even);
            odd = _mm256_fmadd_ps(load!(pa.wrapping_add(i + 8)), load!(pb.wrapping_add(i + 8)), odd);
            i += 16;
        }
        if i + 8 <= n {
            even = _mm256_fmadd_ps(load!(pa.wrapping_add(i)), load!(pb.wrapping_add(i)), even);
            i += 8;
        }
        let mut lanes = [0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), _mm256_add_ps(even, odd));
        let mut total =
            ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
        while i < n {
            total += a[i] * b[i];
            i += 1;
        }
        total
    }

    /// `R` rows × 16 columns of `y`, accumulated in registers over all inputs.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn tile<const R: usize>(
        x: &[f32],
        inputs: usize,
        weight: &[f16],
        bias: &[f32],
        y: &mut [f32],
        column: usize,
    ) {
        let outputs = bias.len();
        assert!(x.len() >= R * inputs && y.len() >= (R - 1) * outputs + column + COLUMNS);
        assert!(weight.len() >= (column + COLUMNS) * inputs);
        let b0 = load!(bias.as_ptr().add(column));
        let b1 = load!(bias.as_ptr().add(column + 8));
        let mut low = [b0; R];
        let mut high = [b1; R];
        // Plain `while` loops, slice indexing and `wrapping_add`: test builds
        // run this crate barely optimised, where range iterators and the
        // checked pointer methods stay out-of-line calls and were 80% of an
        // ingest's time.
        let mut w = weight.as_ptr().wrapping_add(column * inputs);
        let mut k = 0;
        while k < inputs {
            let w0 = load_f16!(w);
            let w1 = load_f16!(w.wrapping_add(8));
            let mut r = 0;
            while r < R {
                let xv = _mm256_set1_ps(x[r * inputs + k]);
                low[r] = _mm256_fmadd_ps(xv, w0, low[r]);
                high[r] = _mm256_fmadd_ps(xv, w1, high[r]);
                r += 1;
            }
            w = w.wrapping_add(COLUMNS);
            k += 1;
        }
        let mut r = 0;
        while r < R {
            let row = y.as_mut_ptr().wrapping_add(r * outputs + column);
            _mm256_storeu_ps(row, low[r]);
            _mm256_storeu_ps(row.wrapping_add(8), high[r]);
            r += 1;
        }
    }
}

/// Scaled dot-product attention over all tokens for each head. `qkv` holds,
/// per token, the queries, keys and values of every head side by side.
pub fn attention(qkv: &[f32], tokens: usize, heads: usize, head_size: usize) -> Vec<f32> {
    let width = heads * head_size;
    let scale = 1.0 / (head_size as f32).sqrt();
    let per_head: Vec<Vec<f32>> = (0..heads)
        .into_par_iter()
        .map(|h| {
            let slice = |t: usize, part: usize| {
                let start = t * 3 * width + part * width + h * head_size;
                &qkv[start..start + head_size]
            };
            let mut out = vec![0f32; tokens * head_size];
            let mut scores = vec![0f32; tokens];
            for (i, context) in out.chunks_exact_mut(head_size).enumerate() {
                let query = slice(i, 0);
                for (j, s) in scores.iter_mut().enumerate() {
                    *s = dot(query, slice(j, 1)) * scale;
                }
                softmax(&mut scores);
                for (j, p) in scores.iter().enumerate() {
                    for (c, v) in context.iter_mut().zip(slice(j, 2)) {
                        *c += p * v;
                    }
                }
            }
            out
        })
        .collect();
    let mut merged = vec![0f32; tokens * width];
    for (h, out) in per_head.iter().enumerate() {
        for (t, context) in out.chunks_exact(head_size).enumerate() {
            merged[t * width + h * head_size..][..head_size].copy_from_slice(context);
        }
    }
    merged
}

fn softmax(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for v in values.iter_mut() {
        *v -= max;
    }
    exp_in_place(values);
    let scale = 1.0 / values.iter().sum::<f32>();
    for v in values.iter_mut() {
        *v *= scale;
    }
}

/// Dot product (the cosine similarity of two unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU has the features the kernel was compiled for.
        return unsafe { avx2::dot(a, b) };
    }
    portable_dot(a, b)
}

/// Eight independent sums let the compiler vectorise it.
fn portable_dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            sums[i] += x[i] * y[i];
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// In place, each row of `gamma.len()` values: normalise, scale, shift.
pub fn layer_norm(x: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let n = gamma.len() as f32;
    for row in x.chunks_exact_mut(gamma.len()) {
        let mean = row.iter().sum::<f32>() / n;
        let variance = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let scale = 1.0 / (variance + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *v = (*v - mean) * scale * g + b;
        }
    }
}

wide! {
    fn exp_in_place(values: &mut [f32]) {
        for v in values.iter_mut() {
            *v = exp(*v);
        }
    }
}

wide! {
    /// GELU with the exact error function, as BERT uses.
    pub fn gelu(values: &mut [f32]) {
        for v in values.iter_mut() {
            *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
        }
    }
}

/// Abramowitz & Stegun 7.1.26: absolute error below 1.5e-7.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152 + t * 1.061_405_4))));
    let magnitude = 1.0 - poly * exp(-x * x);
    magnitude.copysign(x)
}

/// e^x to about 2e-7 relative error, written so that it vectorises:
/// x = n·ln 2 + r with |r| ≤ ½ ln 2 (ln 2 split in two so r stays exact),
/// then 2^n from the exponent bits times a degree-6 polynomial for e^r.
#[inline(always)]
fn exp(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5 × 2^23: adding it rounds to an integer
    const LN2_HIGH: f32 = 0.693_145_75;
    const LN2_LOW: f32 = 1.428_606_8e-6;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = x - n * LN2_HIGH - n * LN2_LOW;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    p * f32::from_bits(((n as i32 + 127) << 23) as u32)
}

pub fn add_in_place(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small deterministic values in [-1, 1).
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state % 2000) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn dense_layers_compute_x_times_w_plus_b_for_any_row_count() {
        let (inputs, outputs) = (40, 48);
        let torch_weight = values(outputs * inputs, 1);
        let bias = values(outputs, 2);
        let layer = Dense::from_torch(&torch_weight, bias.clone()).unwrap();
        // The definition, with the weights as the layer keeps them.
        let rounded: Vec<f32> = torch_weight.iter().map(|w| f16::from_f32(*w).to_f32()).collect();
        // Few rows split by columns, many rows split by rows: both must agree
        // with the definition, on whichever kernel this CPU runs.
        for rows in [1, 2, 5, 6, 7, 13, 60] {
            let x = values(rows * inputs, rows as u32 + 3);
            let y = layer.forward(&x);
            for r in 0..rows {
                for o in 0..outputs {
                    let expected: f32 =
                        bias[o] + (0..inputs).map(|i| x[r * inputs + i] * rounded[o * inputs + i]).sum::<f32>();
                    let got = y[r * outputs + o];
                    assert!((got - expected).abs() < 1e-4, "rows {rows}, y[{r}][{o}] = {got}, expected {expected}");
                }
            }
            let mut portable = vec![0f32; rows * outputs];
            portable_dense(&x, inputs, &layer.weight, &layer.bias, &mut portable);
            assert!(portable.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-4));
        }
    }

    #[test]
    fn dot_products_match_the_definition_at_every_length() {
        for n in (0..40).chain([383, 384]) {
            let (a, b) = (values(n, 11), values(n, 12));
            let expected: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
            for (kernel, got) in [("chosen", dot(&a, &b)), ("portable", portable_dot(&a, &b))] {
                assert!((f64::from(got) - expected).abs() < 1e-4, "{kernel} dot of length {n}: {got} vs {expected}");
            }
        }
    }

    #[test]
    fn concatenated_layers_put_their_outputs_side_by_side() {
        let a = Dense::from_torch(&values(16 * 8, 5), values(16, 6)).unwrap();
        let b = Dense::from_torch(&values(32 * 8, 7), values(32, 8)).unwrap();
        let x = values(3 * 8, 9);
        let (ya, yb, joined) = (a.forward(&x), b.forward(&x), Dense::concat(&[a, b]).forward(&x));
        for r in 0..3 {
            assert_eq!(&joined[r * 48..r * 48 + 16], &ya[r * 16..r * 16 + 16]);
            assert_eq!(&joined[r * 48 + 16..r * 48 + 48], &yb[r * 32..r * 32 + 32]);
        }
    }

    #[test]
    fn exp_and_gelu_match_the_exact_functions() {
        let mut worst_exp = 0f64;
        let mut worst_gelu = 0f64;
        for i in -8000..=8000 {
            let x = i as f32 / 100.0;
            let mut e = [x];
            exp_in_place(&mut e);
            worst_exp = worst_exp.max(((e[0] as f64) - (x as f64).exp()).abs() / (x as f64).exp());
            let mut g = [x];
            gelu(&mut g);
            if x.abs() <= 4.0 {
                let exact = 0.5 * x as f64 * (1.0 + erf_series(x as f64 / std::f64::consts::SQRT_2));
                worst_gelu = worst_gelu.max((g[0] as f64 - exact).abs());
            } else {
                // Far out GELU is the identity on the right and zero on the left.
                let limit = if x > 0.0 { x } else { 0.0 };
                assert!((g[0] - limit).abs() <= 1e-4 * x.abs(), "gelu({x}) = {}", g[0]);
            }
        }
        assert!(worst_exp < 1e-6, "exp relative error {worst_exp}");
        assert!(worst_gelu < 1e-5, "gelu absolute error {worst_gelu}");
    }

    /// erf by its Maclaurin series in f64, exact enough for |x| ≤ 3: an
    /// independent reference for the f32 approximation.
    fn erf_series(x: f64) -> f64 {
        let (mut sum, mut term) = (0.0, x);
        for n in 0..200 {
            sum += term / (2 * n + 1) as f64;
            term *= -x * x / (n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut v = [1.0, 3.0, -2.0, 0.5];
        softmax(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(v[1] > v[0] && v[0] > v[3] && v[3] > v[2]);
    }
}
