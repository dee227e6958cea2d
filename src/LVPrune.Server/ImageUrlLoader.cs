using LVPrune.Images;
using LVPrune.Serving;

namespace LVPrune.Server;

/// <summary>
/// The bytes behind an image_url: a <c>data:</c> URL with base64 PNG, JPEG or WebP, or an http(s) URL fetched
/// with a time limit and a size limit (the engine's <see cref="ChatEngineOptions.MaxImageBytes"/>, enforced
/// while reading, whatever Content-Length says). Every failure is a 400 naming the message part.
/// </summary>
public sealed class ImageUrlLoader : IDisposable
{
    private static readonly string[] DataTypes = ["image/png", "image/jpeg", "image/jpg", "image/webp"];
    private readonly HttpClient _http;
    private readonly ChatEngine _engine;

    public ImageUrlLoader(ChatEngine engine, TimeSpan timeout)
    {
        _engine = engine;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = true, MaxAutomaticRedirections = 3 }) { Timeout = timeout };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("lvprune-serve");
    }

    /// <summary>Loads and decodes the image at <paramref name="url"/>; <paramref name="param"/> names the request field.</summary>
    public async Task<RgbImage> LoadAsync(string url, string param, CancellationToken cancellation)
    {
        byte[] bytes = url.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? FromDataUrl(url, param)
            : url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                ? await FetchAsync(url, param, cancellation)
                : throw new RequestException($"{param}: the url must be a data: URL (base64 PNG, JPEG or WebP) or http(s)", param, "invalid_image_url");
        return _engine.DecodeImage(bytes, param);
    }

    private byte[] FromDataUrl(string url, string param)
    {
        int comma = url.IndexOf(',');
        if (comma < 0) throw new RequestException($"{param}: a data: URL needs a comma before its data", param, "invalid_image_url");
        var header = url[5..comma].Split(';', StringSplitOptions.TrimEntries);
        if (!header.Contains("base64", StringComparer.OrdinalIgnoreCase))
            throw new RequestException($"{param}: the data: URL must be base64 (data:image/png;base64,...)", param, "invalid_image_url");
        string type = header[0].ToLowerInvariant();
        if (!DataTypes.Contains(type))
            throw new RequestException($"{param}: image type '{header[0]}' is not accepted; send image/png, image/jpeg or image/webp", param, "invalid_image_url");
        var data = url.AsSpan(comma + 1);
        long approx = data.Length / 4L * 3;
        if (approx > _engine.Options.MaxImageBytes + 3)
            throw new RequestException($"{param}: the image has about {approx} bytes, over the limit of {_engine.Options.MaxImageBytes}", param, "image_too_large");
        var bytes = new byte[data.Length / 4 * 3 + 3];
        if (!Convert.TryFromBase64Chars(data, bytes, out int written))
            throw new RequestException($"{param}: the data: URL is not valid base64", param, "invalid_image");
        return bytes[..written];
    }

    private async Task<byte[]> FetchAsync(string url, string param, CancellationToken cancellation)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) throw new RequestException($"{param}: '{url}' is not a valid URL", param, "invalid_image_url");
        long limit = _engine.Options.MaxImageBytes;
        try
        {
            using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellation);
            if (!response.IsSuccessStatusCode)
                throw new RequestException($"{param}: fetching {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}", param, "image_fetch_failed");
            if (response.Content.Headers.ContentLength is long length && length > limit)
                throw new RequestException($"{param}: {uri} has {length} bytes, over the limit of {limit}", param, "image_too_large");
            await using var stream = await response.Content.ReadAsStreamAsync(cancellation);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellation)) > 0)
            {
                if (buffer.Length + read > limit)
                    throw new RequestException($"{param}: {uri} sent more than the limit of {limit} bytes", param, "image_too_large");
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new RequestException($"{param}: fetching {uri} took longer than {_http.Timeout.TotalSeconds:0.#} s", param, "image_fetch_failed");
        }
        catch (HttpRequestException e)
        {
            throw new RequestException($"{param}: fetching {uri} failed: {e.Message}", param, "image_fetch_failed");
        }
    }

    public void Dispose() => _http.Dispose();
}
