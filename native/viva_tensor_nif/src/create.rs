//! NIFs that make tensors: from lists and binaries, constants, ranges, random.

use rustler::{Encoder, Env, NifResult, Term};
use viva_tensor_core::Tensor;

use crate::decode;
use crate::dual_nif;
use crate::error::guarded;
use crate::resource::TensorResource;

/// `{ok, Tensor}` term for a new tensor.
pub fn new_tensor(env: Env<'_>, t: Tensor) -> Term<'_> {
    TensorResource::wrap(t).encode(env)
}

fn from_nested_list_impl<'a>(env: Env<'a>, list: Term<'a>, dtype: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let dtype = decode::dtype(dtype)?;
        let (values, shape) = decode::nested_elements(list)?;
        Ok(new_tensor(
            env,
            Tensor::from_f64_slice(&values, &shape, dtype)?,
        ))
    })
}
dual_nif!(
    from_nested_list,
    from_nested_list_dirty,
    from_nested_list_impl,
    (list, dtype)
);

fn from_flat_list_impl<'a>(
    env: Env<'a>,
    list: Term<'a>,
    shape: Term<'a>,
    dtype: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let dtype = decode::dtype(dtype)?;
        let shape = decode::shape(shape)?;
        let values = decode::flat_elements(list)?;
        Ok(new_tensor(
            env,
            Tensor::from_f64_slice(&values, &shape, dtype)?,
        ))
    })
}
dual_nif!(
    from_flat_list,
    from_flat_list_dirty,
    from_flat_list_impl,
    (list, shape, dtype)
);

fn from_binary_impl<'a>(
    env: Env<'a>,
    bin: Term<'a>,
    dtype: Term<'a>,
    shape: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let bin: rustler::Binary = decode::term(bin)?;
        let dtype = decode::dtype(dtype)?;
        let shape = decode::shape(shape)?;
        Ok(new_tensor(
            env,
            Tensor::from_bytes(bin.as_slice(), dtype, &shape)?,
        ))
    })
}
dual_nif!(
    from_binary,
    from_binary_dirty,
    from_binary_impl,
    (bin, dtype, shape)
);

fn full_impl<'a>(
    env: Env<'a>,
    shape: Term<'a>,
    value: Term<'a>,
    dtype: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let shape = decode::shape(shape)?;
        let value = decode::element(value)?;
        let dtype = decode::dtype(dtype)?;
        Ok(new_tensor(env, Tensor::full(&shape, value, dtype)?))
    })
}
dual_nif!(full, full_dirty, full_impl, (shape, value, dtype));

fn eye_impl<'a>(env: Env<'a>, n: Term<'a>, m: Term<'a>, dtype: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let n = decode::count(n)?;
        let m = decode::count(m)?;
        let dtype = decode::dtype(dtype)?;
        Ok(new_tensor(env, Tensor::eye(n, m, dtype)?))
    })
}
dual_nif!(eye, eye_dirty, eye_impl, (n, m, dtype));

fn arange_impl<'a>(
    env: Env<'a>,
    start: Term<'a>,
    stop: Term<'a>,
    step: Term<'a>,
    dtype: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let (start, stop, step) = (
            decode::number(start)?,
            decode::number(stop)?,
            decode::number(step)?,
        );
        let dtype = decode::dtype(dtype)?;
        Ok(new_tensor(env, Tensor::arange(start, stop, step, dtype)?))
    })
}
dual_nif!(
    arange,
    arange_dirty,
    arange_impl,
    (start, stop, step, dtype)
);

fn linspace_impl<'a>(
    env: Env<'a>,
    start: Term<'a>,
    stop: Term<'a>,
    num: Term<'a>,
    dtype: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let (start, stop) = (decode::number(start)?, decode::number(stop)?);
        let num = decode::count(num)?;
        let dtype = decode::dtype(dtype)?;
        Ok(new_tensor(env, Tensor::linspace(start, stop, num, dtype)?))
    })
}
dual_nif!(
    linspace,
    linspace_dirty,
    linspace_impl,
    (start, stop, num, dtype)
);

/// The constructor shared by both random NIFs: `(shape, seed, a, b, dtype)`
/// where `(a, b)` is `(low, high)` or `(mean, std)`.
type RandomFn =
    fn(&[usize], u64, f64, f64, viva_tensor_core::DType) -> viva_tensor_core::Result<Tensor>;

fn random_with<'a>(
    env: Env<'a>,
    make: RandomFn,
    [shape, seed, a, b, dtype]: [Term<'a>; 5],
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let shape = decode::shape(shape)?;
        let seed = decode::seed(seed)?;
        let (a, b) = (decode::number(a)?, decode::number(b)?);
        let dtype = decode::dtype(dtype)?;
        Ok(new_tensor(env, make(&shape, seed, a, b, dtype)?))
    })
}

fn random_uniform_impl<'a>(
    env: Env<'a>,
    shape: Term<'a>,
    seed: Term<'a>,
    low: Term<'a>,
    high: Term<'a>,
    dtype: Term<'a>,
) -> NifResult<Term<'a>> {
    random_with(env, Tensor::random_uniform, [shape, seed, low, high, dtype])
}
dual_nif!(
    random_uniform,
    random_uniform_dirty,
    random_uniform_impl,
    (shape, seed, low, high, dtype)
);

fn random_normal_impl<'a>(
    env: Env<'a>,
    shape: Term<'a>,
    seed: Term<'a>,
    mean: Term<'a>,
    std: Term<'a>,
    dtype: Term<'a>,
) -> NifResult<Term<'a>> {
    random_with(env, Tensor::random_normal, [shape, seed, mean, std, dtype])
}
dual_nif!(
    random_normal,
    random_normal_dirty,
    random_normal_impl,
    (shape, seed, mean, std, dtype)
);
