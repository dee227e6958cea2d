using LVPrune.Images;

namespace LVPrune.Serving;

/// <summary>Who speaks a turn of a conversation.</summary>
public enum ChatTurnRole { System, User, Assistant }

/// <summary>
/// One message of a conversation as the engine takes it: its role, its text, and the images it carries
/// (decoded). <paramref name="Source"/> names the message in error messages (e.g. "messages[2]").
/// </summary>
public sealed record ChatTurn(ChatTurnRole Role, string Text, IReadOnlyList<RgbImage> Images, string Source)
{
    public ChatTurn(ChatTurnRole role, string text, string source) : this(role, text, [], source) { }
}
