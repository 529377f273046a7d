//! Real-FFT plans and the spectrum kernels behind HRR binding, generic over
//! the compute precision (f32 or f64).
//!
//! Every kernel works on rows of length `d` and reuses one set of buffers
//! per call (per rayon task when rows run in parallel): at `d = 8192` the
//! transforms take a few microseconds, so per-row allocations would be a
//! visible share of the time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use realfft::num_complex::Complex;
use realfft::num_traits::{Float, Zero};
use realfft::{ComplexToReal, FftNum, RealFftPlanner, RealToComplex};

use crate::dtype::Element;

/// Batches at least this many elements (and of more than one row) are
/// spread over rayon.
const PARALLEL_MIN_ELEMS: usize = 1 << 14;

/// The spectrum product a binding forms.
#[derive(Clone, Copy, Debug)]
pub(super) enum Op {
    /// `A · B`: circular convolution.
    Bind,
    /// `A · conj(B)`: circular correlation.
    Unbind,
}

/// Forward and inverse transforms of one length.
pub(super) struct Plans<T: FftNum> {
    fwd: Arc<dyn RealToComplex<T>>,
    inv: Arc<dyn ComplexToReal<T>>,
}

impl<T: FftNum> Clone for Plans<T> {
    fn clone(&self) -> Self {
        Plans {
            fwd: Arc::clone(&self.fwd),
            inv: Arc::clone(&self.inv),
        }
    }
}

/// The planner (it shares twiddle tables between plans) and the plans made.
pub(super) type PlanCache<T> = Mutex<(RealFftPlanner<T>, HashMap<usize, Plans<T>>)>;

/// A float type the transforms run in; each has its own plan cache.
pub(super) trait Real: FftNum + Element + Float {
    /// This type's process-wide plan cache.
    fn cache() -> &'static OnceLock<PlanCache<Self>>;
}

impl Real for f32 {
    fn cache() -> &'static OnceLock<PlanCache<f32>> {
        static CACHE: OnceLock<PlanCache<f32>> = OnceLock::new();
        &CACHE
    }
}

impl Real for f64 {
    fn cache() -> &'static OnceLock<PlanCache<f64>> {
        static CACHE: OnceLock<PlanCache<f64>> = OnceLock::new();
        &CACHE
    }
}

/// Plans for length `d`, made once per length and precision.
fn plans<T: Real>(d: usize) -> Plans<T> {
    let cache = T::cache().get_or_init(|| Mutex::new((RealFftPlanner::new(), HashMap::new())));
    let mut guard = cache.lock().unwrap_or_else(|p| p.into_inner());
    let (planner, map) = &mut *guard;
    map.entry(d)
        .or_insert_with(|| Plans {
            fwd: planner.plan_fft_forward(d),
            inv: planner.plan_fft_inverse(d),
        })
        .clone()
}

/// The buffers one thread needs to transform rows of one length.
struct Workspace<T: Real> {
    plans: Plans<T>,
    /// The forward transform destroys its input, so rows are copied here.
    input: Vec<T>,
    scratch: Vec<Complex<T>>,
    /// `1 / d`: realfft's inverse is unnormalised.
    scale: T,
    d: usize,
}

impl<T: Real> Workspace<T> {
    fn new(plans: &Plans<T>, d: usize) -> Self {
        let scratch_len = plans.fwd.get_scratch_len().max(plans.inv.get_scratch_len());
        Workspace {
            plans: plans.clone(),
            input: vec![T::zero(); d],
            scratch: vec![Complex::zero(); scratch_len],
            scale: T::one() / T::from_usize(d).unwrap_or_else(T::one),
            d,
        }
    }

    /// A spectrum buffer for this length (`d / 2 + 1` bins).
    fn spectrum(&self) -> Vec<Complex<T>> {
        vec![Complex::zero(); self.d / 2 + 1]
    }

    /// `out = rfft(row)`.
    fn forward(&mut self, row: &[T], out: &mut [Complex<T>]) {
        self.input.copy_from_slice(row);
        // Lengths always match the plan, so this cannot fail.
        self.plans
            .fwd
            .process_with_scratch(&mut self.input, out, &mut self.scratch)
            .expect("forward FFT of a row of the planned length");
    }

    /// `out = irfft(spec) / d`; `spec` is used up.
    fn inverse(&mut self, spec: &mut [Complex<T>], out: &mut [T]) {
        // A real signal's spectrum has real DC and (even d) Nyquist terms;
        // products keep that only up to rounding, which the inverse
        // transform rejects, so pin them.
        spec[0].im = T::zero();
        if self.d.is_multiple_of(2) {
            if let Some(last) = spec.last_mut() {
                last.im = T::zero();
            }
        }
        let scale = self.scale;
        spec.iter_mut().for_each(|c| *c = c.scale(scale));
        self.plans
            .inv
            .process_with_scratch(spec, out, &mut self.scratch)
            .expect("inverse FFT of a spectrum of the planned length");
    }
}

/// A workspace plus the two spectra one binding needs.
struct RowKernel<T: Real> {
    ws: Workspace<T>,
    fa: Vec<Complex<T>>,
    fb: Vec<Complex<T>>,
}

impl<T: Real> RowKernel<T> {
    fn new(plans: &Plans<T>, d: usize) -> Self {
        let ws = Workspace::new(plans, d);
        let (fa, fb) = (ws.spectrum(), ws.spectrum());
        RowKernel { ws, fa, fb }
    }

    /// `out = irfft(rfft(a) ⊙ op(rfft(b))) / d` for one row.
    fn run(&mut self, a: &[T], b: &[T], out: &mut [T], op: Op) {
        self.ws.forward(a, &mut self.fa);
        self.ws.forward(b, &mut self.fb);
        match op {
            Op::Bind => self
                .fa
                .iter_mut()
                .zip(&self.fb)
                .for_each(|(x, y)| *x = *x * y),
            Op::Unbind => self
                .fa
                .iter_mut()
                .zip(&self.fb)
                .for_each(|(x, y)| *x = *x * y.conj()),
        }
        self.ws.inverse(&mut self.fa, out);
    }
}

/// Binds (or unbinds) `a` with `b` row by row: both hold whole rows of
/// length `d` and have equal lengths; returns a vector of that length.
pub(super) fn convolve_rows<T: Real>(a: &[T], b: &[T], d: usize, op: Op) -> Vec<T> {
    debug_assert!(d > 0 && a.len() == b.len() && a.len().is_multiple_of(d));
    let plans = plans::<T>(d);
    let mut out = vec![T::zero(); a.len()];
    if a.len() >= PARALLEL_MIN_ELEMS && a.len() > d {
        let rows = out
            .par_chunks_mut(d)
            .zip(a.par_chunks(d).zip(b.par_chunks(d)));
        rows.for_each_init(
            || RowKernel::new(&plans, d),
            |k, (o, (ra, rb))| k.run(ra, rb, o, op),
        );
    } else {
        let mut k = RowKernel::new(&plans, d);
        for (o, (ra, rb)) in out.chunks_mut(d).zip(a.chunks(d).zip(b.chunks(d))) {
            k.run(ra, rb, o, op);
        }
    }
    out
}

/// `Σ_k items[k] ⊛ p^k` (`p^0` the identity, `p^k` = `p` bound with itself
/// `k` times): `items` holds `n ≥ 1` rows of length `d`, `position` one.
///
/// Runs in the frequency domain, where `p^k`'s spectrum is `P^k`: one
/// forward transform per row and a single inverse.
pub(super) fn encode_sequence<T: Real>(items: &[T], position: &[T], d: usize) -> Vec<T> {
    debug_assert!(d > 0 && position.len() == d && !items.is_empty());
    let plans = plans::<T>(d);
    let mut ws = Workspace::new(&plans, d);
    let (mut acc, mut p, mut pk, mut f) =
        (ws.spectrum(), ws.spectrum(), ws.spectrum(), ws.spectrum());
    let mut rows = items.chunks(d);
    if let Some(first) = rows.next() {
        ws.forward(first, &mut acc);
    }
    ws.forward(position, &mut p);
    pk.copy_from_slice(&p);
    for row in rows {
        ws.forward(row, &mut f);
        for ((a, x), (q, y)) in acc.iter_mut().zip(&f).zip(pk.iter_mut().zip(&p)) {
            *a = *a + *x * *q;
            *q = *q * y;
        }
    }
    let mut out = vec![T::zero(); d];
    ws.inverse(&mut acc, &mut out);
    out
}

/// `x` with every frequency's magnitude set to 1 (phases kept; a zero bin
/// becomes 1): a unitary vector, whose powers under binding all keep norm
/// 1 and whose involution is its exact inverse.
pub(super) fn make_unitary<T: Real>(x: &[T]) -> Vec<T> {
    let d = x.len();
    let plans = plans::<T>(d);
    let mut ws = Workspace::new(&plans, d);
    let mut spec = ws.spectrum();
    ws.forward(x, &mut spec);
    for c in spec.iter_mut() {
        let r = c.norm();
        *c = if r > T::zero() {
            c.unscale(r)
        } else {
            Complex::new(T::one(), T::zero())
        };
    }
    // With the normalised inverse, Parseval gives sum x^2 = sum |X|^2 / d
    // = 1 over the d bins: the vector has unit norm.
    let mut out = vec![T::zero(); d];
    ws.inverse(&mut spec, &mut out);
    out
}
