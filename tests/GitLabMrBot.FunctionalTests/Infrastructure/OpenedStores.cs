namespace GitLabMrBot.FunctionalTests.Infrastructure;

/// <summary>The stores a test opened, closed together at its end (before their database goes).</summary>
internal sealed class OpenedStores
{
    private readonly List<object> _opened = [];

    public T Add<T>(T store)
        where T : notnull
    {
        lock (_opened)
        {
            _opened.Add(store);
        }
        return store;
    }

    public async Task CloseAllAsync()
    {
        object[] opened;
        lock (_opened)
        {
            opened = [.. _opened];
            _opened.Clear();
        }
        foreach (var store in opened)
        {
            switch (store)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }
}
