# A minimal Elixir project that depends on viva_tensor the way a user's
# would (a path dependency built by rebar3), proving the library loads and
# works from Elixir. Run by `make test-mix`.
defmodule MixSmoke.MixProject do
  use Mix.Project

  def project do
    [
      app: :mix_smoke,
      version: "0.1.0",
      elixir: "~> 1.14",
      deps: [{:viva_tensor, path: "../..", manager: :rebar3}]
    ]
  end

  def application, do: [extra_applications: [:logger]]
end
