using System.Text.Json;
using LVPrune.Toy;
using LVPrune.Recipes;

namespace LVPrune.Tests.Toy;

public class VisionPretrainingTests
{
    [Fact]
    public void PatchLabels_MarkThePatchesWhoseCentreLiesInTheBox_AndOneCentrePatch()
    {
        // 64 px canvas, 4 x 4 grid of 16 px patches (centres at 8, 24, 40, 56); a box from 16 to 48.
        var entry = JsonDocument.Parse("""
            {"image_size": 64, "objects": [
              {"color": "blue", "shape": "star", "size": "large", "center": [32, 32], "box": [16, 16, 48, 48]},
              {"color": "red", "shape": "circle", "size": "small", "center": [60, 4], "box": [56, 0, 64, 9]}]}
            """).RootElement;
        var labels = VisionPretraining.PatchLabels(entry, grid: 4);
        Assert.Equal(VisionPretraining.Classes.Length, labels.Length);
        int[] inside = [5, 6, 9, 10];
        long blue = 1 + ShapesVqaVocabulary.ColorWords.ToList().IndexOf("blue");
        long star = 1 + ShapesVqaVocabulary.ShapeWords.ToList().IndexOf("star");
        for (int p = 0; p < 16; p++)
        {
            bool inBox = inside.Contains(p);
            bool inRed = p == 3; // patch centre (56, 8) lies in the red box
            Assert.Equal(inBox ? blue : inRed ? 1 : 0, labels[0][p]);
            Assert.Equal(inBox ? star : inRed ? 1 : 0, labels[1][p]);
            Assert.Equal(inBox ? 2 : inRed ? 1 : 0, labels[2][p]);        // large = 2, small = 1
            Assert.Equal(p is 10 or 3 ? 1 : 0, labels[3][p]);             // centres (32, 32) -> patch (2, 2); (60, 4) -> (3, 0)
        }
    }
}
