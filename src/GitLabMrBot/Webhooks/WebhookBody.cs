using System.Buffers;

namespace GitLabMrBot.Webhooks;

/// <summary>The raw request body, or why there is none.</summary>
internal readonly record struct BodyRead(byte[]? Body, bool TooLarge, bool Truncated, bool OverBudget = false);

/// <summary>Reads a webhook body under a size limit, and recognises JSON content types.</summary>
internal static class WebhookBody
{
    private const int InitialChunkedBuffer = 16 * 1024;

    /// <summary><c>application/json</c> or <c>application/…+json</c>, parameters such as <c>charset</c> allowed.</summary>
    public static bool IsJsonContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var mediaType = contentType.AsSpan();
        var semicolon = mediaType.IndexOf(';');
        if (semicolon >= 0)
        {
            mediaType = mediaType[..semicolon];
        }
        mediaType = mediaType.Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
                && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
                && mediaType.Length > "application/+json".Length);
    }

    /// <summary>
    /// Reads the whole body into one array of exactly its size (the store keeps it). With a Content-Length the
    /// array is allocated once; a chunked body is read into pooled buffers, never more than <paramref name="limit"/> + 1 bytes.
    /// Every buffer is reserved in <paramref name="reservation"/> before it is allocated: none is when the budget is spent.
    /// </summary>
    public static async ValueTask<BodyRead> ReadAsync(HttpRequest request, long limit, BodyReservation reservation, CancellationToken cancellationToken)
    {
        try
        {
            if (request.ContentLength is { } declared)
            {
                if (declared > limit)
                {
                    return new BodyRead(null, TooLarge: true, Truncated: false);
                }
                if (!reservation.TryGrowTo(declared))
                {
                    return new BodyRead(null, TooLarge: false, Truncated: false, OverBudget: true);
                }
                var body = new byte[declared];
                await request.Body.ReadExactlyAsync(body, cancellationToken);
                return new BodyRead(body, TooLarge: false, Truncated: false);
            }

            return await ReadChunkedAsync(request.Body, limit, reservation, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new BodyRead(null, TooLarge: true, Truncated: false);
        }
        catch (Exception e) when (e is BadHttpRequestException or EndOfStreamException or IOException
                                  || (e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // The sender gave up mid-body: Kestrel reports it as a bad request, an I/O error or an aborted request,
            // whichever wins the race with the connection's close. All three are the same truncated body.
            return new BodyRead(null, TooLarge: false, Truncated: true);
        }
    }

    private static async ValueTask<BodyRead> ReadChunkedAsync(Stream stream, long limit, BodyReservation reservation, CancellationToken cancellationToken)
    {
        if (!reservation.TryGrowTo(InitialChunkedBuffer))
        {
            return new BodyRead(null, TooLarge: false, Truncated: false, OverBudget: true);
        }
        var buffer = ArrayPool<byte>.Shared.Rent(InitialChunkedBuffer);
        var total = 0;
        try
        {
            while (true)
            {
                if (total == buffer.Length)
                {
                    // The old buffer and the larger one are both held while copying.
                    var next = (int)Math.Min((long)buffer.Length * 2, Array.MaxLength);
                    if (!reservation.TryGrowTo((long)buffer.Length + next))
                    {
                        return new BodyRead(null, TooLarge: false, Truncated: false, OverBudget: true);
                    }
                    var larger = ArrayPool<byte>.Shared.Rent(next);
                    buffer.AsSpan(0, total).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                // Never ask for more than one byte past the limit: that byte is enough to answer 413.
                var wanted = (int)Math.Min(buffer.Length - total, limit + 1 - total);
                var read = await stream.ReadAsync(buffer.AsMemory(total, wanted), cancellationToken);
                if (read == 0)
                {
                    // The exact copy is held beside the buffer until the buffer is returned.
                    if (!reservation.TryGrowTo((long)buffer.Length + total))
                    {
                        return new BodyRead(null, TooLarge: false, Truncated: false, OverBudget: true);
                    }
                    return new BodyRead(buffer.AsSpan(0, total).ToArray(), TooLarge: false, Truncated: false);
                }
                total += read;
                if (total > limit)
                {
                    return new BodyRead(null, TooLarge: true, Truncated: false);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
