// An ASP.NET Core app whose endpoints come from plugins and are swapped live: each request runs on one
// plugin version from start to end. A plugin serves endpoints by exporting an IPluginEndpoints; it
// references Hotswap.AspNetCore with Private="false" and the Microsoft.AspNetCore.App framework.
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.Services.AddHotswap()                   // options from the "Hotswap" section of appsettings.json
    .AddHealthChecks();                         // Healthy, Degraded (failed reload, stuck unload), Unhealthy
Directory.CreateDirectory(builder.Configuration["Hotswap:PluginsRoot"] ?? "plugins");
WebApplication app = builder.Build();

app.MapPluginEndpoints();                       // every plugin's endpoints, swapped at each reload
app.MapHealthChecks("/health");

if (app.Environment.IsDevelopment())
{
    // The status page (and /hotswap.json): what is loaded, draining, stuck; reload and rollback buttons.
    // Anonymous on a development machine only. Elsewhere, map it behind a policy of yours, with
    // authentication and authorization registered: o => o.AuthorizationPolicy = "ops" (docs/aspnetcore.md).
    app.MapHotswapStatus("/hotswap", o => o.AllowAnonymous = true);
}

await app.RunAsync();
