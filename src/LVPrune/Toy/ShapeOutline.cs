namespace LVPrune.Toy;

/// <summary>
/// The outline of each shape in the unit cell [-1, 1] x [-1, 1] (y down). Every outline touches
/// all four sides of the cell, so an object's cell is its tight bounding box, and every outline
/// contains a neighbourhood of the cell's centre.
/// </summary>
public static class ShapeOutline
{
    // Star: 5 points, inner radius 0.45 of the outer one (fatter than the regular 0.38 so the
    // points stay visible at 12 px), stretched to fill the cell.
    private const double StarInnerRadius = 0.45;
    // Cross: arms one third of the cell wide.
    private const double CrossHalfArm = 1.0 / 3.0;

    private static readonly IReadOnlyList<(double X, double Y)>[] _polygons =
    [
        [],                                                    // circle: not a polygon
        [(-1, -1), (1, -1), (1, 1), (-1, 1)],                  // square
        [(0, -1), (1, 1), (-1, 1)],                            // triangle, apex up
        Star(),
        [(0, -1), (1, 0), (0, 1), (-1, 0)],                    // diamond
        Cross(),
    ];

    /// <summary>
    /// The vertices of the shape's polygon in the unit cell, clockwise on screen; empty for
    /// <see cref="ShapeKind.Circle"/>, which is the circle of radius 1.
    /// </summary>
    public static IReadOnlyList<(double X, double Y)> UnitPolygon(ShapeKind shape) => _polygons[(int)shape];

    private static (double X, double Y)[] Star()
    {
        var points = new (double X, double Y)[10];
        for (int i = 0; i < 10; i++)
        {
            double radius = i % 2 == 0 ? 1.0 : StarInnerRadius;
            double angle = -Math.PI / 2 + i * Math.PI / 5;
            points[i] = (radius * Math.Cos(angle), radius * Math.Sin(angle));
        }
        return StretchToCell(points);
    }

    private static (double X, double Y)[] Cross()
    {
        double a = CrossHalfArm;
        return [(-a, -1), (a, -1), (a, -a), (1, -a), (1, a), (a, a), (a, 1), (-a, 1), (-a, a), (-1, a), (-1, -a), (-a, -a)];
    }

    private static (double X, double Y)[] StretchToCell((double X, double Y)[] points)
    {
        double minX = points.Min(p => p.X), maxX = points.Max(p => p.X);
        double minY = points.Min(p => p.Y), maxY = points.Max(p => p.Y);
        return points.Select(p => (2 * (p.X - minX) / (maxX - minX) - 1, 2 * (p.Y - minY) / (maxY - minY) - 1)).ToArray();
    }
}
