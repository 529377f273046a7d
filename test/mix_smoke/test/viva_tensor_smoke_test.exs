defmodule VivaTensorSmokeTest do
  use ExUnit.Case, async: true

  test "the native library is loaded" do
    assert :viva_tensor_nif.load_status() == :ok
  end

  test "create, view and read back" do
    {:ok, t} = :vtensor.from_list([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert :vtensor.shape(t) == [2, 3]
    assert :vtensor.dtype(t) == :f32
    {:ok, tt} = :vtensor.transpose(t)
    assert {:ok, [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]} = :vtensor.to_nested_list(tt)
    assert {:ok, true} = :vtensor.shares_storage(t, tt)
  end

  test "binaries round-trip with Elixir binary syntax" do
    bin = <<1.5::float-32-little, -2.0::float-32-little>>
    {:ok, t} = :vtensor.from_binary(bin, :f32, [2])
    assert {:ok, ^bin} = :vtensor.to_binary(t)
  end

  test "errors are tagged tuples" do
    assert {:error, {:invalid_shape, msg}} = :vtensor.from_list([1.0, 2.0, 3.0], [2, 2], :f32)
    assert is_binary(msg)
    {:ok, t} = :vtensor.zeros([2, 3])
    assert {:error, {:shape_mismatch, [4, 4], [2, 3]}} = :vtensor.broadcast_to(t, [4, 4])
  end

  test "quantized tensors" do
    {:ok, w} = :vtensor.random_normal([64, 64], 1)
    {:ok, q} = :vquant.quantize(w, :q4_0)
    assert :vquant.format(q) == :q4_0
    assert :vquant.nbytes(q) == 128 * 18 + 36
    {:ok, bin} = :vquant.to_binary(q)
    {:ok, q2} = :vquant.from_binary(bin)
    {:ok, d} = :vquant.dequantize(q2)
    assert {:ok, %{cosine: cos, sqnr_db: db}} = :vquant.metrics(w, d)
    assert cos > 0.99 and db > 15.0
    assert {:error, {:invalid_argument, _}} = :vquant.quantize(w, {:nf4, 3})
    assert {:error, {:invalid_argument, _}} = :vquant.from_binary(binary_part(bin, 0, 10))
  end

  test "fp8 and 16-bit quantized storage" do
    {:ok, w} = :vtensor.random_normal([64, 64], 2)

    for {format, bytes} <- [fp8_e4m3fn: 4096 + 4, fp8_e5m2: 4096 + 4, f16: 8192, bf16: 8192] do
      {:ok, q} = :vquant.quantize(w, format)
      assert :vquant.format(q) == format
      assert :vquant.nbytes(q) == bytes + 36
      {:ok, x} = :vtensor.random_normal([3, 64], 3)
      {:ok, y} = :vquant.qmatmul(x, q)
      assert :vtensor.shape(y) == [3, 64]
      {:ok, d} = :vquant.dequantize(q)
      assert {:ok, %{cosine: cos}} = :vquant.metrics(w, d)
      assert cos > 0.99
    end
  end

  test "qmatmul_q8: int8 activation blocks against q4_0 weights" do
    {:ok, w} = :vtensor.random_normal([32, 64], 4)
    {:ok, q} = :vquant.quantize(w, :q4_0)
    {:ok, x} = :vtensor.random_normal([2, 64], 5)
    {:ok, exact} = :vquant.qmatmul(x, q)
    {:ok, y} = :vquant.qmatmul_q8(x, q)
    assert :vtensor.shape(y) == [2, 32]
    assert {:ok, %{cosine: cos}} = :vquant.metrics(exact, y)
    assert cos > 0.9999
    {:ok, q41} = :vquant.quantize(w, :q4_1)
    assert {:error, {:invalid_argument, _}} = :vquant.qmatmul_q8(x, q41)
  end

  test "the application starts" do
    assert {:ok, _} = Application.ensure_all_started(:viva_tensor)
  end

  for name <- ["elixir", "elixir-pool", "elixir-ops"] do
    test "the README's #{name} example runs as written" do
      readme = File.read!(Path.expand("../../../README.md", __DIR__))
      marker = "<!-- example:#{unquote(name)} -->\n```elixir\n"
      [_, after_marker] = String.split(readme, marker, parts: 2)
      [code, _] = String.split(after_marker, "```", parts: 2)
      Code.eval_string(code)
    end
  end
end
