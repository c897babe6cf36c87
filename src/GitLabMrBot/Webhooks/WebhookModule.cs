using Carter;

namespace GitLabMrBot.Webhooks;

/// <summary>POST /webhooks/gitlab: authenticates, stores, answers. No GitLab call happens here.</summary>
public sealed class WebhookModule : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/gitlab", () => TypedResults.StatusCode(StatusCodes.Status501NotImplemented));
    }
}

public static class WebhookServiceCollectionExtensions
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration) => services;
}
