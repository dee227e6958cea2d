using System.Globalization;
using System.Numerics;
using System.Text;

namespace LVPrune.Py;

/// <summary>
/// Python's float printing and rounding, so that text output prints what the official scripts
/// print: <c>repr(x)</c> (shortest round trip, "1.0", "1e-05"), <c>'%.Nf' % x</c> and
/// <c>round(x, n)</c>, both rounding the exact binary value half to even ('%.2f' % 0.125 is
/// "0.12", round(2.675, 2) is 2.67).
/// </summary>
public static class PyFloat
{
    /// <summary><c>repr(x)</c> / <c>str(x)</c> of a Python float.</summary>
    public static string Repr(double x)
    {
        if (double.IsNaN(x)) return "nan";
        if (double.IsInfinity(x)) return x > 0 ? "inf" : "-inf";
        if (x == 0) return double.IsNegative(x) ? "-0.0" : "0.0";
        var (negative, digits, point) = ShortestDigits(x);
        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        if (point <= -4 || point > 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            int exp = point - 1;
            sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (point <= 0) sb.Append("0.").Append('0', -point).Append(digits);
        else if (point >= digits.Length) sb.Append(digits).Append('0', point - digits.Length).Append(".0");
        else sb.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
        return sb.ToString();
    }

    /// <summary><c>'%.{decimals}f' % x</c>: the exact binary value rounded half to even.</summary>
    public static string Fixed(double x, int decimals)
    {
        if (double.IsNaN(x)) return "nan";
        if (double.IsInfinity(x)) return x > 0 ? "inf" : "-inf";
        var (negative, units) = ScaledRounded(x, decimals);
        string digits = units.ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
        string text = decimals == 0 ? digits : digits[..^decimals] + "." + digits[^decimals..];
        return negative ? "-" + text : text;
    }

    /// <summary><c>round(x, decimals)</c> for decimals &gt;= 0.</summary>
    public static double Round(double x, int decimals) =>
        double.IsFinite(x) ? double.Parse(Fixed(x, decimals), CultureInfo.InvariantCulture) : x;

    /// <summary><c>sum(values)</c>: added in order, starting from 0.</summary>
    public static double Sum(IEnumerable<double> values)
    {
        double sum = 0;
        foreach (double v in values) sum += v;
        return sum;
    }

    /// <summary><c>float(sum(values)) / len(values)</c>.</summary>
    public static double Mean(IReadOnlyCollection<double> values) => Sum(values) / values.Count;

    // |x| * 10^decimals rounded half to even, computed exactly from the binary value.
    private static (bool Negative, BigInteger Units) ScaledRounded(double x, int decimals)
    {
        long bits = BitConverter.DoubleToInt64Bits(x);
        bool negative = bits < 0;
        int exponent = (int)((bits >> 52) & 0x7FF);
        long fraction = bits & 0xFFFFFFFFFFFFFL;
        BigInteger mantissa = exponent == 0 ? fraction : fraction | (1L << 52);
        int e = exponent == 0 ? -1074 : exponent - 1075; // |x| = mantissa * 2^e
        BigInteger numerator = mantissa * BigInteger.Pow(10, decimals);
        BigInteger denominator = BigInteger.One;
        if (e >= 0) numerator <<= e; else denominator <<= -e;
        BigInteger quotient = BigInteger.DivRem(numerator, denominator, out BigInteger remainder);
        int half = (remainder * 2).CompareTo(denominator);
        if (half > 0 || (half == 0 && !quotient.IsEven)) quotient += 1;
        return (negative, quotient); // Python keeps the sign of a negative value that rounds to 0: "-0.00"
    }

    // The shortest digits that round-trip, and the decimal point position: |x| = 0.DIGITS * 10^point.
    private static (bool Negative, string Digits, int Point) ShortestDigits(double x)
    {
        // "R" gives the shortest round-trip digits (as Python's repr); re-read them as digits and a point.
        string shortest = Math.Abs(x).ToString("R", CultureInfo.InvariantCulture);
        int exp = 0;
        int ePos = shortest.IndexOfAny(['E', 'e']);
        string mantissa = shortest;
        if (ePos >= 0)
        {
            exp = int.Parse(shortest[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            mantissa = shortest[..ePos];
        }
        int dot = mantissa.IndexOf('.');
        string intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        string fracPart = dot >= 0 ? mantissa[(dot + 1)..] : "";
        string all = intPart + fracPart;
        int point = intPart.Length + exp;
        int lead = 0;
        while (lead < all.Length - 1 && all[lead] == '0') { lead++; point--; }
        string digits = all[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        return (x < 0, digits, point);
    }
}
