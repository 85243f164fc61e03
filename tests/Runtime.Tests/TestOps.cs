using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Runtime.Tests;

/// <summary>Test-only operators: Scale (y = x * factor, float), Fail (always throws), Fill (1-D float from "values") and Mul (elementwise a * b, float).</summary>
internal static class TestOps
{
    public static void Register(OperatorCatalog c)
    {
        c.Schemas.Schema("Scale").NumInputs(1).NumOutputs(1).AllowInplace((0, 0)).IdenticalTypeAndShape()
            .Arg("factor", "multiplier", 2.0f).CostInferenceFunction(CostFunctions.Pointwise(1));
        c.Operators.Register("Scale", (d, ws) => new ScaleOp(d, ws));
        c.Gradients.Register("Scale", (d, g) => new ScaleGradient(d, g));
        c.Schemas.Schema("Fail").NumInputs(0, 1).NumOutputs(0, 1);
        c.Operators.Register("Fail", (d, ws) => new FailOp(d, ws));
        c.Schemas.Schema("Fill").NumInputs(0).NumOutputs(1);
        c.Operators.Register("Fill", (d, ws) => new FillOp(d, ws));
        c.Schemas.Schema("Mul").NumInputs(2).NumOutputs(1).CostInferenceFunction(CostFunctions.Pointwise(1));
        c.Operators.Register("Mul", (d, ws) => new MulOp(d, ws));
    }

    public static OperatorDef Fill(string y, params float[] values)
    {
        var d = OperatorDef.Create("Fill", "", [], [y]);
        d.Arg.Add(ArgumentHelper.MakeRepeatedArgument("values", values));
        return d;
    }

    public static OperatorDef Mul(string a, string b, string y, string name = "") => OperatorDef.Create("Mul", name, [a, b], [y]);

    public sealed class FillOp : OperatorBase
    {
        private readonly float[] _values;
        public FillOp(OperatorDef def, Workspace ws) : base(def, ws) => _values = GetRepeatedArgument<float>("values");

        public override void Run()
        {
            var y = Output(0);
            y.Resize(DataType.Float, _values.Length);
            _values.CopyTo(y.Data<float>());
        }
    }

    public sealed class MulOp(OperatorDef def, Workspace ws) : OperatorBase(def, ws)
    {
        public override void Run()
        {
            var a = Input(0);
            var b = Input(1);
            if (a.Size != b.Size) throw Error($"inputs have {a.Size} and {b.Size} elements.");
            var y = Output(0);
            y.Resize(DataType.Float, a.Dims);
            var xs = a.Data<float>();
            var ws = b.Data<float>();
            var ys = y.Data<float>();
            for (int k = 0; k < xs.Length; k++) ys[k] = xs[k] * ws[k];
        }
    }

    public static OperatorCatalog Catalog() => new OperatorCatalog().Add(Register);

    public static OperatorDef Scale(string x, string y, float? factor = null, string name = "")
    {
        var d = OperatorDef.Create("Scale", name, [x], [y]);
        if (factor is { } f) d.SetArgument("factor", f);
        return d;
    }

    public sealed class ScaleOp : OperatorBase
    {
        private readonly float _factor;
        public ScaleOp(OperatorDef def, Workspace ws) : base(def, ws) => _factor = GetSingleArgument("factor", 2.0f);
        public int Runs { get; private set; }

        public override void Run()
        {
            var x = Input(0);
            if (x.DataType != DataType.Float) throw Error($"input '{Def.Input[0]}' must be FLOAT, got {x.Describe()}.");
            var y = Output(0);
            y.Resize(DataType.Float, x.Dims);
            var xs = x.Data<float>();
            var ys = y.Data<float>();
            for (int k = 0; k < xs.Length; k++) ys[k] = xs[k] * _factor;
            Runs++;
        }
    }

    /// <summary>d(x*f)/dx = f: the gradient is Scale(Y_grad) with the forward's factor (copied by default).</summary>
    public sealed class ScaleGradient(OperatorDef def, IReadOnlyList<Caffe2Sharp.Schema.Gradients.GradientWrapper> g) : Caffe2Sharp.Schema.Gradients.GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs() => SingleGradientDef("Scale", "", [GO(0)], [GI(0)]);
    }

    public sealed class FailOp(OperatorDef def, Workspace ws) : OperatorBase(def, ws)
    {
        public override void Run() => throw Error("deliberate failure");
    }
}
