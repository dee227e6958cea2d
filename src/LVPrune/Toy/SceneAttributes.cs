namespace LVPrune.Toy;

// The three attributes of a ShapesVQA object. Their words, colours and sampling weights live in
// ShapesVqaVocabulary; the numeric values are indices into its word lists, so never reorder them.

/// <summary>The outline an object is drawn with.</summary>
public enum ShapeKind { Circle, Square, Triangle, Star, Diamond, Cross }

/// <summary>The fill colour of an object (fully saturated, never used by the background).</summary>
public enum ObjectColor { Red, Green, Blue, Yellow, Purple, Orange }

/// <summary>The size class of an object: the side of its square cell (see ShapesVqaGenerator).</summary>
public enum ShapeSize { Small, Large }
