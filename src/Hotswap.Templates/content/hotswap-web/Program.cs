// An ASP.NET Core app whose endpoints come from plugins and are swapped live: each request runs on one
// plugin version from start to end. A plugin serves endpoints by exporting an IPluginEndpoints; it
// references Hotswap.AspNetCore with Private="false" and the Microsoft.AspNetCore.App framework.
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.Services.AddHotswap();                  // options from the "Hotswap" section of appsettings.json
Directory.CreateDirectory(builder.Configuration["Hotswap:PluginsRoot"] ?? "plugins");
WebApplication app = builder.Build();

app.MapPluginEndpoints();                       // every plugin's endpoints, swapped at each reload

// The status page (and /hotswap.json): what is loaded, draining, stuck. Anonymous here, for a
// development machine only: a real service names an authorization policy instead.
app.MapHotswapStatus("/hotswap", o => o.AllowAnonymous = app.Environment.IsDevelopment());

await app.RunAsync();
