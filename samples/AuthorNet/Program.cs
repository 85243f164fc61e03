// Sample: author a NetDef in C# with the fluent builder, run it, and print it as protobuf text.
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Operators.Fill;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.TextFormat;
using Microsoft.Extensions.DependencyInjection;

var services = new ServiceCollection();
services.AddCaffe2Sharp().AddStandardOperators();
using var provider = services.BuildServiceProvider();
var ws = provider.GetRequiredService<Workspace>();

var init = new NetBuilder("init")
    .GivenTensorFill("X", shape: [2, 3], values: [-3f, -1f, 0f, 1f, 2f, 3f])
    .Build();
var predict = new NetBuilder("predict")
    .ExternalInput("X")
    .LeakyRelu("X", "Y", alpha: 0.2f, name: "leaky")
    .Copy("Y", "Z")
    .ExternalOutput("Z")
    .Build();

ws.RunNetOnce(init);
ws.CreateNet(predict);
ws.RunNet("predict");
Console.WriteLine($"Z = {ws.FetchBlob("Z")}");

// The gradient ops of the LeakyRelu, as Caffe2 would write them (X_grad from Y_grad).
foreach (var op in provider.GetRequiredService<OperatorCatalog>().GetGradientForOp(predict.Op[0]).Ops)
    Console.WriteLine($"gradient: {op.Describe()}");

Console.WriteLine();
Console.Write(ProtoText.Print(predict));
