// Sample: build ResNet-50 in C# with the model helper (Caffe2's zoo names, gpu_0/ scope), run it
// once on a deterministic input with random weights from the init net's seeded fills, print the
// top-3 classes, and save both nets as .pb.
//   dotnet run --project samples/ResNet50 [output-folder]
using Caffe2Sharp.Models.Zoo;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;

var model = ResNet50.Create(classes: 1000, seed: 1);
NetDef init = model.InitNet, predict = model.PredictNet;
Console.WriteLine($"{predict.Name}: {predict.Op.Count} ops, {model.Parameters.Count} parameter blobs");

var ws = new Workspace(new OperatorCatalog().AddStandardOperators());
ws.RunNetOnce(init);                                   // XavierFill / ConstantFill: random weights
long[] shape = [.. ResNet50.InputShape];               // [1, 3, 224, 224]
var image = new float[shape.Aggregate(1L, (a, b) => a * b)];
for (int i = 0; i < image.Length; i++) image[i] = MathF.Sin(i * 0.001f);
ws.FeedBlob<float>("gpu_0/data", image, shape);
ws.CreateNet(predict);
ws.RunNet(predict.Name);

string output = predict.ExternalOutput[0];             // gpu_0/softmax
float[] probs = ws.FetchBlob<float>(output);
Console.WriteLine($"top-3 of {output}:");
foreach (var (p, c) in probs.Select((p, c) => (p, c)).OrderByDescending(t => t.p).Take(3))
    Console.WriteLine($"  class {c,4}: {p:F6}");

string folder = args.Length > 0 ? args[0] : Directory.CreateTempSubdirectory("resnet50-").FullName;
Directory.CreateDirectory(folder);
string initPath = Path.Combine(folder, "init_net.pb"), predictPath = Path.Combine(folder, "predict_net.pb");
ProtoFile.Write(initPath, init);
ProtoFile.Write(predictPath, predict);
Console.WriteLine($"saved {initPath}");
Console.WriteLine($"saved {predictPath}");
