using Caffe2Sharp.Operators;
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

var services = new ServiceCollection();
services.AddCaffe2Sharp(pool => pool with { ThreadCount = 2 })   // the runtime's threads
    .AddStandardOperators();                                      // every built-in operator pack
using var provider = services.BuildServiceProvider();
var ws = provider.GetRequiredService<Workspace>();

ws.FeedBlob<float>("X", [-1f, 0f, 2f], 3);
var net = new NetBuilder("predict").ExternalInput("X")
    .LeakyRelu("X", "Y", alpha: 0.2f)
    .ExternalOutput("Y").Build();
ws.CreateNet(net);
ws.RunNet("predict");
float[] y = ws.FetchBlob<float>("Y");
Console.WriteLine(string.Join(", ", y));   // -0.2, 0, 2
