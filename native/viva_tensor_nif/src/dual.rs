//! Declares a NIF twice: once for normal schedulers, once for dirty CPU
//! schedulers. The Erlang side (`vtensor`) picks by input size, so small
//! calls avoid the dirty-scheduler hop and large ones never block a normal
//! scheduler. Both run the same body.

/// `dual_nif!(name, name_dirty, body_fn, (arg, ...))` defines `name` and
/// `name_dirty`, each `fn(env, arg: Term, ...) -> NifResult<Term>` calling
/// `body_fn(env, arg, ...)`.
#[macro_export]
macro_rules! dual_nif {
    ($normal:ident, $dirty:ident, $body:path, ($($arg:ident),*)) => {
        #[rustler::nif]
        fn $normal<'a>(
            env: rustler::Env<'a>,
            $($arg: rustler::Term<'a>),*
        ) -> rustler::NifResult<rustler::Term<'a>> {
            $body(env, $($arg),*)
        }

        #[rustler::nif(schedule = "DirtyCpu")]
        fn $dirty<'a>(
            env: rustler::Env<'a>,
            $($arg: rustler::Term<'a>),*
        ) -> rustler::NifResult<rustler::Term<'a>> {
            $body(env, $($arg),*)
        }
    };
}
