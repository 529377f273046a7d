//! Shape NIFs that copy (concat, stack, index_select, take, pad), split
//! (views), and search (top_k, similarity_search).

use rustler::{Encoder, Env, NifResult, Term};
use viva_tensor_core::select::{self, Metric};
use viva_tensor_core::Tensor;

use crate::create::new_tensor;
use crate::decode;
use crate::dual_nif;
use crate::error::{guarded, NifError};
use crate::indices::encode_indices;

fn tensor_list(list: Term) -> Result<Vec<Tensor>, NifError> {
    let refs: Vec<Term> = decode::term(list)?;
    refs.into_iter()
        .map(|t| Ok(decode::tensor(t)?.tensor()?))
        .collect()
}

/// `join(Op, Tensors, Axis)`: `Op` in concat, stack.
fn join_impl<'a>(
    env: Env<'a>,
    op: Term<'a>,
    list: Term<'a>,
    axis: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let f: fn(&[Tensor], i64) -> viva_tensor_core::Result<Tensor> =
            match decode::atom_name(op)?.as_str() {
                "concat" => select::concat,
                "stack" => select::stack,
                _ => return Err(NifError::BadArg),
            };
        let axis: i64 = decode::term(axis)?;
        let tensors = tensor_list(list)?;
        Ok(new_tensor(env, f(&tensors, axis)?))
    })
}
dual_nif!(join, join_dirty, join_impl, (op, list, axis));

/// `split(T, Sections, Axis)`: `Sections` an integer (equal parts) or a
/// list of sizes; returns a list of views.
#[rustler::nif]
fn split<'a>(env: Env<'a>, t: Term<'a>, sections: Term<'a>, axis: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let axis: i64 = decode::term(axis)?;
        let t = decode::tensor(t)?.tensor()?;
        let parts = if sections.is_list() {
            let sizes: Vec<usize> = decode::shape(sections)?;
            select::split_sizes(&t, &sizes, axis)?
        } else {
            select::split(&t, decode::count(sections)?, axis)?
        };
        let parts: Vec<Term<'a>> = parts.into_iter().map(|p| new_tensor(env, p)).collect();
        Ok(parts.encode(env))
    })
}

/// `index_select(T, Axis, Indices)`.
fn index_select_impl<'a>(
    env: Env<'a>,
    t: Term<'a>,
    axis: Term<'a>,
    indices: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let axis: i64 = decode::term(axis)?;
        let indices = decode::ints(indices)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, select::index_select(&t, axis, &indices)?))
    })
}
dual_nif!(
    index_select,
    index_select_dirty,
    index_select_impl,
    (t, axis, indices)
);

/// `take(T, Indices)`: elements at flat row-major indices.
fn take_impl<'a>(env: Env<'a>, t: Term<'a>, indices: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let indices = decode::ints(indices)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, select::take(&t, &indices)?))
    })
}
dual_nif!(take, take_dirty, take_impl, (t, indices));

/// `pad(T, Pads, Value)`: `Pads` a list of `{Before, After}` per axis.
fn pad_impl<'a>(env: Env<'a>, t: Term<'a>, pads: Term<'a>, value: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let raw: Vec<(i64, i64)> = decode::term(pads)?;
        let pads = raw
            .iter()
            .map(|&(b, a)| match (usize::try_from(b), usize::try_from(a)) {
                (Ok(b), Ok(a)) => Ok((b, a)),
                _ => Err(NifError::Tensor(
                    viva_tensor_core::TensorError::invalid_argument(format!(
                        "pad widths must be non-negative, got {raw:?}"
                    )),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let value = decode::element(value)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, select::pad(&t, &pads, value)?))
    })
}
dual_nif!(pad, pad_dirty, pad_impl, (t, pads, value));

/// `top_k(T, K, Axis)` → `{Values, Indices}` (indices as nested lists).
fn top_k_impl<'a>(env: Env<'a>, t: Term<'a>, k: Term<'a>, axis: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let k = decode::count(k)?;
        let axis: i64 = decode::term(axis)?;
        let t = decode::tensor(t)?.tensor()?;
        let (values, idx) = select::top_k(&t, k, axis)?;
        let idx = encode_indices(env, values.shape(), &idx);
        Ok((new_tensor(env, values), idx).encode(env))
    })
}
dual_nif!(top_k, top_k_dirty, top_k_impl, (t, k, axis));

/// `similarity_search(Queries, Memory, K, Metric)` → `{Scores, Indices}`;
/// `Metric` in cosine, dot.
fn similarity_search_impl<'a>(
    env: Env<'a>,
    queries: Term<'a>,
    memory: Term<'a>,
    k: Term<'a>,
    metric: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let metric = match decode::atom_name(metric)?.as_str() {
            "cosine" => Metric::Cosine,
            "dot" => Metric::Dot,
            _ => return Err(NifError::BadArg),
        };
        let k = decode::count(k)?;
        let queries = decode::tensor(queries)?.tensor()?;
        let memory = decode::tensor(memory)?.tensor()?;
        let (scores, idx) = select::similarity_search(&queries, &memory, k, metric)?;
        let idx = encode_indices(env, scores.shape(), &idx);
        Ok((new_tensor(env, scores), idx).encode(env))
    })
}
dual_nif!(
    similarity_search,
    similarity_search_dirty,
    similarity_search_impl,
    (queries, memory, k, metric)
);
