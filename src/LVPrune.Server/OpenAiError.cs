using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace LVPrune.Server;

/// <summary>
/// Errors in OpenAI's shape: <c>{"error": {"message", "type", "param", "code"}}</c> with the HTTP status,
/// never a stack trace. Types as OpenAI names them: invalid_request_error (400, 404, 413),
/// authentication_error (401), rate_limit_error (429), server_error (500).
/// </summary>
public sealed record OpenAiError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code)
{
    public static string TypeFor(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    public static OpenAiError Of(int status, string message, string? param = null, string? code = null) => new(message, TypeFor(status), param, code);

    /// <summary>The body: <c>{"error": {...}}</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, OpenAiError> { ["error"] = this });

    /// <summary>Writes the error as the whole response (when nothing was sent yet).</summary>
    public Task WriteAsync(HttpResponse response, int status, CancellationToken cancellation = default)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        return response.WriteAsync(ToJson(), cancellation);
    }
}
