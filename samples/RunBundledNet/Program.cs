// Sample: load the bundled example nets (protobuf text format) and run them.
using Caffe2Sharp.Schema;
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Microsoft.Extensions.DependencyInjection;

string dir = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "../../../../nets/leakyrelu");
var services = new ServiceCollection();
services.AddCaffe2Sharp().AddStandardOperators();
using var provider = services.BuildServiceProvider();
var ws = provider.GetRequiredService<Workspace>();

var init = ProtoFile.ReadNetDef(Path.Combine(dir, "init_net.pbtxt"));
var predict = ProtoFile.ReadNetDef(Path.Combine(dir, "predict_net.pbtxt"));
ws.RunNetOnce(init);            // weights and inputs
ws.CreateNet(predict);          // verified and created once
ws.RunNet(predict.Name);        // run as often as needed

foreach (var name in predict.ExternalOutput)
    Console.WriteLine($"{name} = {ws.FetchBlob(name)}");
