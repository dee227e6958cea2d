using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Py;

namespace LVPrune.Tests.Benchmarks;

/// <summary>The Python behaviours the official scripts rely on (expected values are what CPython 3 prints).</summary>
public class PySemanticsTests
{
    [Fact]
    public void Split_UsesPythonWhiteSpace_IncludingFileSeparators()
    {
        Assert.Equal(["a", "b", "c"], PyStr.Split(" a\u001cb\u00a0 c\n"));
        Assert.Empty(PyStr.Split("  \t"));
        Assert.Equal("x", PyStr.Strip("\u001f x \u3000"));
    }

    [Fact]
    public void Lower_AppliesPythonsFullMappings()
    {
        Assert.Equal("i\u0307stanbul", PyStr.Lower("İstanbul"));     // 'İstanbul'.lower()
        Assert.Equal("οδος", PyStr.Lower("ΟΔΟΣ"));                    // final sigma
        Assert.Equal("σα", PyStr.Lower("ΣΑ"));
        Assert.Equal("skateboarding!", PyStr.Lower("Skateboarding!"));
        Assert.Equal(2, PyStr.Length("a😀"));
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1234567890123456.0, "1234567890123456.0")]
    [InlineData(0.36363636363636365, "0.36363636363636365")]
    [InlineData(-2.5, "-2.5")]
    public void Repr_IsPythons(double x, string expected) => Assert.Equal(expected, PyFloat.Repr(x));

    [Theory]
    [InlineData(0.125, 2, "0.12")]   // exact tie: half to even
    [InlineData(0.375, 2, "0.38")]
    [InlineData(2.675, 2, "2.67")]   // 2.67499999... in binary
    [InlineData(-0.001, 2, "-0.00")]
    [InlineData(67.69230769230769, 2, "67.69")]
    [InlineData(85.9, 1, "85.9")]
    public void Fixed_RoundsTheExactBinaryValueHalfToEven(double x, int digits, string expected) => Assert.Equal(expected, PyFloat.Fixed(x, digits));

    [Fact]
    public void Round_IsPythonsRound()
    {
        Assert.Equal(2.67, PyFloat.Round(2.675, 2));
        Assert.Equal(0.5, PyFloat.Round(0.5, 3));
        Assert.Equal(1.0, PyFloat.Round(0.9995, 3));  // 0.9995 is 0.99950000000000005... in binary
        Assert.Equal(7.125, PyFloat.Round(7.1245, 3)); // and 7.1245 is above the tie too
    }

    [Fact]
    public void Dumps_WritesLikeJsonDumps()
    {
        var o = new JsonObject { ["question_id"] = JsonValue.Create(JsonDocument.Parse("1.0").RootElement.Clone()), ["text"] = "café \"q\"\n✓😀\u007f", ["n"] = 5, ["x"] = null, ["l"] = new JsonArray(0.5, 1e-05) };
        Assert.Equal("{\"question_id\": 1.0, \"text\": \"caf\\u00e9 \\\"q\\\"\\n\\u2713\\ud83d\\ude00\\u007f\", \"n\": 5, \"x\": null, \"l\": [0.5, 1e-05]}", PyJson.Dumps(o));
        Assert.Equal("100000.0", PyJson.Dumps(JsonValue.Create(JsonDocument.Parse("1e5").RootElement.Clone())));
    }

    [Fact]
    public void Equal_FollowsPythonEquality()
    {
        JsonElement E(string s) => JsonDocument.Parse(s).RootElement.Clone();
        Assert.True(PyJson.Equal(E("{\"a\": 1, \"b\": [true]}"), E("{\"b\": [1.0], \"a\": 1}")));
        Assert.False(PyJson.Equal(E("{\"a\": \"1\"}"), E("{\"a\": 1}")));
        Assert.True(PyJson.Equal(E("{\"a\": 1, \"a\": 2}"), E("{\"a\": 2}"))); // json.loads keeps the last
    }
}
