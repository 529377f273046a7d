//! Reading Erlang terms into Rust values.
//!
//! A term of the wrong type is `badarg`; a term of the right type with a bad
//! value (a negative dimension, an unknown dtype atom) is a tensor error.

use rustler::{Atom, Decoder, ListIterator, Term, TermType};
use viva_tensor_core::{DType, TensorError};

use crate::atoms;
use crate::error::NifError;
use crate::resource::TensorRef;

/// A dtype atom (`f32`, `f64`, `f16`, `bf16`).
pub fn dtype(t: Term) -> Result<DType, NifError> {
    let a: Atom = t.decode()?;
    let name = a.to_term(t.get_env()).atom_to_string()?;
    Ok(DType::from_name(&name)?)
}

/// A shape: a list of non-negative integers.
pub fn shape(t: Term) -> Result<Vec<usize>, NifError> {
    let dims: Vec<i64> = t.decode()?;
    dims.iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| {
                NifError::Tensor(TensorError::invalid_shape(format!(
                    "negative dimension {d} in {dims:?}"
                )))
            })
        })
        .collect()
}

/// A list of integers (axes, shapes with `-1`).
pub fn ints(t: Term) -> Result<Vec<i64>, NifError> {
    Ok(t.decode()?)
}

/// A non-negative integer.
pub fn count(t: Term) -> Result<usize, NifError> {
    let v: i64 = t.decode()?;
    usize::try_from(v).map_err(|_| {
        NifError::Tensor(TensorError::invalid_argument(format!(
            "expected a non-negative integer, got {v}"
        )))
    })
}

/// A number: integer or float.
pub fn number(t: Term) -> Result<f64, NifError> {
    match t.get_type() {
        TermType::Float => Ok(t.decode::<f64>()?),
        TermType::Integer => Ok(t.decode::<i64>()? as f64),
        _ => Err(NifError::BadArg),
    }
}

/// A tensor element: a number, or the atoms `nan`, `infinity`, `neg_infinity`
/// that `to_list` writes for values Erlang floats cannot hold.
pub fn element(t: Term) -> Result<f64, NifError> {
    if t.get_type() == TermType::Atom {
        let a: Atom = t.decode()?;
        return if a == atoms::nan() {
            Ok(f64::NAN)
        } else if a == atoms::infinity() {
            Ok(f64::INFINITY)
        } else if a == atoms::neg_infinity() {
            Ok(f64::NEG_INFINITY)
        } else {
            Err(NifError::BadArg)
        };
    }
    number(t)
}

/// A random seed: any integer that fits 64 bits (negative ones wrap).
pub fn seed(t: Term) -> Result<u64, NifError> {
    if let Ok(v) = t.decode::<u64>() {
        return Ok(v);
    }
    Ok(t.decode::<i64>()? as u64)
}

/// A tensor handle.
pub fn tensor(t: Term) -> Result<TensorRef, NifError> {
    Ok(t.decode()?)
}

/// A flat list of elements.
pub fn flat_elements(t: Term) -> Result<Vec<f64>, NifError> {
    let it: ListIterator = t.decode()?;
    it.map(element).collect()
}

/// A nested list (or a bare number) as row-major values plus its shape.
///
/// Errors: `InvalidShape` when sibling lists differ in length or numbers and
/// lists are mixed at one depth.
pub fn nested_elements(t: Term) -> Result<(Vec<f64>, Vec<usize>), NifError> {
    let mut walk = NestedWalk::default();
    walk.visit(t, 0)?;
    Ok((walk.values, walk.shape))
}

#[derive(Default)]
struct NestedWalk {
    values: Vec<f64>,
    shape: Vec<usize>,
    leaf_depth: Option<usize>,
}

impl NestedWalk {
    fn visit(&mut self, t: Term, depth: usize) -> Result<(), NifError> {
        if t.get_type() == TermType::List {
            let len = t.list_length()?;
            if self.leaf_depth.is_some_and(|d| d <= depth) {
                return Err(ragged(depth));
            }
            match self.shape.get(depth) {
                Some(&known) if known != len => return Err(ragged(depth)),
                Some(_) => {}
                None if self.shape.len() == depth => self.shape.push(len),
                None => return Err(ragged(depth)),
            }
            let it: ListIterator = t.decode()?;
            for item in it {
                self.visit(item, depth + 1)?;
            }
            Ok(())
        } else {
            match self.leaf_depth {
                Some(d) if d != depth => return Err(ragged(depth)),
                None if self.shape.len() != depth => return Err(ragged(depth)),
                _ => self.leaf_depth = Some(depth),
            }
            self.values.push(element(t)?);
            Ok(())
        }
    }
}

fn ragged(depth: usize) -> NifError {
    NifError::Tensor(TensorError::invalid_shape(format!(
        "ragged nested list: elements at depth {depth} differ in length or nesting"
    )))
}

/// Decodes any term with rustler's own decoder, mapping failure to badarg.
pub fn term<'a, T: Decoder<'a>>(t: Term<'a>) -> Result<T, NifError> {
    Ok(t.decode()?)
}

/// The name of an atom (an operation selector such as `add`).
pub fn atom_name(t: Term) -> Result<String, NifError> {
    if t.get_type() != TermType::Atom {
        return Err(NifError::BadArg);
    }
    Ok(t.atom_to_string()?)
}
