//! rustler glue: resources, term conversion, error mapping, scheduling.
rustler::init!("viva_tensor_nif");
