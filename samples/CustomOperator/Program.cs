// Sample: run the Square pack (../CustomOperator.Pack), added through DI exactly as Caffe2Sharp's
// own packs are, and check its gradient numerically (the run fails on a wrong gradient).
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using CustomOperator.Pack;
using Microsoft.Extensions.DependencyInjection;

var services = new ServiceCollection();
services.AddCaffe2Sharp().AddOperatorPack(new SquarePack());
using var provider = services.BuildServiceProvider();
var ws = provider.GetRequiredService<Workspace>();

ws.FeedBlob<float>("X", [-1.5f, 0.5f, 2f], 3);
ws.RunOperatorOnce(OperatorDef.Create("Square", "", ["X"], ["Y"]));
Console.WriteLine($"Square(X) = {ws.FetchBlob("Y")}");

var checker = new GradientChecker(provider.GetRequiredService<OperatorCatalog>());
Console.WriteLine(checker.CheckOrThrow(OperatorDef.Create("Square", "", ["X"], ["Y"]),
    new Dictionary<string, Tensor> { ["X"] = Tensor.From<float>([-1.5f, 0.5f, 2f], 3) }, inputIndex: 0));
