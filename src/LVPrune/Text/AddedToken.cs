namespace LVPrune.Text;

/// <summary>
/// A token added on top of the SentencePiece vocabulary (Hugging Face "added_tokens_decoder"
/// entry), such as &lt;image&gt; or &lt;pad&gt;. Added tokens are cut out of the text before
/// SentencePiece runs and always encode as their single id. <see cref="LStrip"/> and
/// <see cref="RStrip"/> swallow the whitespace to their left / right, as in Hugging Face.
/// </summary>
public sealed record AddedToken(string Content, int Id, bool Special = true, bool LStrip = false, bool RStrip = false);
