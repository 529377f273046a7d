//! Integer index results (argmax, top_k, similarity search) as nested
//! Erlang lists: there is no integer tensor dtype yet, and callers usually
//! want the row numbers as plain integers anyway.

use rustler::{Encoder, Env, Term};

/// `indices` (row-major over `shape`) as nested lists of that shape; a
/// rank-0 shape gives the bare integer.
pub fn encode_indices<'a>(env: Env<'a>, shape: &[usize], indices: &[i64]) -> Term<'a> {
    match shape.split_first() {
        None => indices[0].encode(env),
        Some((_, [])) => indices.encode(env),
        Some((_, inner)) => {
            let step: usize = inner.iter().product();
            let rows: Vec<Term<'a>> = if step == 0 {
                (0..shape[0])
                    .map(|_| encode_indices(env, inner, &[]))
                    .collect()
            } else {
                indices
                    .chunks(step)
                    .map(|c| encode_indices(env, inner, c))
                    .collect()
            };
            rows.encode(env)
        }
    }
}
