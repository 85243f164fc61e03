using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Schema.Tests.Schemas;

// In the style of Caffe2's operator_schema_test: throwaway schemas, Verify true and false.
public class OpSchemaTests
{
    private static OperatorDef Def(string type, string[] inputs, string[] outputs) => OperatorDef.Create(type, "", inputs, outputs);

    [Fact]
    public void Verify_ExactCounts_AcceptOnlyThoseCounts()
    {
        var s = new OpSchemaRegistry().Schema("OpSchemaBasicTest").NumInputs(1).NumOutputs(1);
        Assert.Null(s.Verify(Def("OpSchemaBasicTest", ["in"], ["out"])));
        Assert.Contains("has 2 input(s); expected 1", s.Verify(Def("OpSchemaBasicTest", ["a", "b"], ["out"])));
        Assert.Contains("has 0 input(s); expected 1", s.Verify(Def("OpSchemaBasicTest", [], ["out"])));
        Assert.Contains("has 2 output(s); expected 1", s.Verify(Def("OpSchemaBasicTest", ["in"], ["o1", "o2"])));
    }

    [Fact]
    public void Verify_RangeOfInputs_AcceptsEveryCountInRange()
    {
        var s = new OpSchemaRegistry().Schema("Range").NumInputs(2, 4).NumOutputs(1, 2);
        Assert.NotNull(s.Verify(Def("Range", ["a"], ["o"])));
        for (int n = 2; n <= 4; n++)
            Assert.Null(s.Verify(Def("Range", Enumerable.Range(0, n).Select(i => $"i{i}").ToArray(), ["o"])));
        Assert.Contains("expected 2 to 4", s.Verify(Def("Range", ["a", "b", "c", "d", "e"], ["o"])));
        Assert.Contains("expected 1 to 2", s.Verify(Def("Range", ["a", "b"], ["o", "p", "q"])));
    }

    [Fact]
    public void Verify_SetOfInputs_AcceptsOnlyMembers()
    {
        var s = new OpSchemaRegistry().Schema("Set").NumInputs(new HashSet<int> { 1, 3 }).NumOutputs(new HashSet<int> { 2 });
        Assert.Null(s.Verify(Def("Set", ["a"], ["o", "p"])));
        Assert.Null(s.Verify(Def("Set", ["a", "b", "c"], ["o", "p"])));
        Assert.Contains("does not allow", s.Verify(Def("Set", ["a", "b"], ["o", "p"])));
        Assert.Contains("output(s), a number the schema does not allow", s.Verify(Def("Set", ["a"], ["o"])));
    }

    [Fact]
    public void Verify_PredicateIsCheckedBesideTheRange()
    {
        var s = new OpSchemaRegistry().Schema("Pred").NumInputs(0, 5).NumInputs(n => n % 2 == 0);
        Assert.Null(s.Verify(Def("Pred", ["a", "b"], [])));
        Assert.NotNull(s.Verify(Def("Pred", ["a"], [])));
        // 6 is even but outside the range: both are checked.
        Assert.NotNull(s.Verify(Def("Pred", ["a", "b", "c", "d", "e", "f"], [])));
    }

    [Fact]
    public void Verify_JointInputOutputPredicate()
    {
        var s = new OpSchemaRegistry().Schema("Joint").NumInputsOutputs((i, o) => i == o + 1);
        Assert.Null(s.Verify(Def("Joint", ["a", "b"], ["o"])));
        Assert.Contains("combination", s.Verify(Def("Joint", ["a"], ["o"])));
    }

    [Fact]
    public void Verify_OutputCalculator_SameNumberOfOutput()
    {
        var s = new OpSchemaRegistry().Schema("Same").NumInputs(1, 10).NumOutputs(1, 10).SameNumberOfOutput();
        Assert.Null(s.Verify(Def("Same", ["a", "b"], ["o", "p"])));
        Assert.Contains("it must have 2", s.Verify(Def("Same", ["a", "b"], ["o"])));
        Assert.Equal(3, s.CalculateOutput(3));
    }

    [Fact]
    public void Verify_InPlace_IsRejectedByDefault()
    {
        var s = new OpSchemaRegistry().Schema("NoInplace").NumInputs(1).NumOutputs(1);
        Assert.Null(s.Verify(Def("NoInplace", ["x"], ["y"])));
        var reason = s.Verify(Def("NoInplace", ["x"], ["x"]));
        Assert.Contains("blob 'x' as both input 0 and output 0", reason);
    }

    [Fact]
    public void Verify_AllowInplacePairs_AllowsOnlyThosePairs()
    {
        var s = new OpSchemaRegistry().Schema("Allow").NumInputs(2).NumOutputs(2).AllowInplace((0, 0), (1, 0));
        Assert.Null(s.Verify(Def("Allow", ["a", "b"], ["a", "c"])));
        Assert.Null(s.Verify(Def("Allow", ["a", "b"], ["b", "c"])));
        Assert.Null(s.Verify(Def("Allow", ["a", "b"], ["c", "d"])));
        Assert.Contains("input 1 and output 1", s.Verify(Def("Allow", ["a", "b"], ["c", "b"])));
    }

    [Fact]
    public void Verify_AllowOneToOneInplace_AllowsDiagonalOnly()
    {
        var s = new OpSchemaRegistry().Schema("OneToOne").NumInputs(2).NumOutputs(2).AllowOneToOneInplace();
        Assert.Null(s.Verify(Def("OneToOne", ["a", "b"], ["a", "b"])));
        Assert.Null(s.Verify(Def("OneToOne", ["a", "b"], ["c", "d"])));
        Assert.NotNull(s.Verify(Def("OneToOne", ["a", "b"], ["b", "a"])));
    }

    [Fact]
    public void Verify_EnforceInplace_RequiresTheSharedBlob()
    {
        var s = new OpSchemaRegistry().Schema("Enforce").NumInputs(2).NumOutputs(2).EnforceInplace((0, 0));
        Assert.Null(s.Verify(Def("Enforce", ["a", "b"], ["a", "c"])));
        var reason = s.Verify(Def("Enforce", ["a", "b"], ["x", "c"]));
        Assert.Contains("must run input 0 and output 0 in place", reason);
        Assert.Contains("'a'", reason);
        // An enforced pair is also allowed; any other shared pair is not.
        Assert.NotNull(s.Verify(Def("Enforce", ["a", "b"], ["a", "b"])));
    }

    [Fact]
    public void Verify_EnforceOneToOneInplace()
    {
        var s = new OpSchemaRegistry().Schema("E11").NumInputs(1, 3).NumOutputs(1, 3).EnforceOneToOneInplace();
        Assert.Null(s.Verify(Def("E11", ["a", "b"], ["a", "b"])));
        Assert.NotNull(s.Verify(Def("E11", ["a", "b"], ["a", "c"])));
    }

    [Fact]
    public void Verify_RequiredArgument_MustBePresent()
    {
        var s = new OpSchemaRegistry().Schema("Req").RequiredArg("axis", "the axis", ArgumentKind.Int);
        Assert.Contains("missing required argument 'axis'", s.Verify(Def("Req", [], [])));
        Assert.Null(s.Verify(Def("Req", [], []).SetArgument("axis", 1)));
    }

    [Fact]
    public void Verify_ArgumentOfWrongKind_NamesFieldExpectedAndFound()
    {
        var s = new OpSchemaRegistry().Schema("Kind").Arg("alpha", "coefficient", 0.01f).Arg("shape", "dims", Array.Empty<long>());
        Assert.Null(s.Verify(Def("Kind", [], []).SetArgument("alpha", 0.5f)));
        Assert.Null(s.Verify(Def("Kind", [], []).SetArgument("alpha", 1))); // integer alpha, exact: accepted
        var reason = s.Verify(Def("Kind", [], []).SetArgument("alpha", "big"));
        Assert.Contains("argument 'alpha' of the wrong kind: expected field f (float), found s", reason);
        var empty = Def("Kind", [], []);
        empty.Arg.Add(new Argument { Name = "alpha" });
        Assert.Contains("found no value", s.Verify(empty));
        Assert.Contains("expected field ints", s.Verify(Def("Kind", [], []).SetRepeatedArgument("shape", new[] { 1.5f })));
    }

    [Fact]
    public void Verify_DuplicateArgumentWithDifferentValues_IsRejected()
    {
        var s = new OpSchemaRegistry().Schema("Dup");
        var def = Def("Dup", [], []);
        def.Arg.Add(ArgumentHelper.MakeArgument("a", 1));
        def.Arg.Add(ArgumentHelper.MakeArgument("a", 1));
        Assert.Null(s.Verify(def));
        def.Arg.Add(ArgumentHelper.MakeArgument("a", 2));
        Assert.Contains("argument 'a' twice", s.Verify(def));
    }

    [Fact]
    public void EnforceValid_ThrowsWithOperatorTypeAndName()
    {
        var s = new OpSchemaRegistry().Schema("Named").NumInputs(1);
        var def = OperatorDef.Create("Named", "my_op", [], []);
        var e = Assert.Throws<EnforceNotMetException>(() => s.EnforceValid(def));
        Assert.Equal("Operator 'Named' \"my_op\" does not match its schema: it has 0 input(s); expected 1.", e.Message);
    }

    [Fact]
    public void Registry_DuplicateSchema_NamesBothSites()
    {
        var r = new OpSchemaRegistry();
        r.Schema("Twice", "first.cs", 10);
        var e = Assert.Throws<InvalidOperationException>(() => r.Schema("Twice", "second.cs", 20));
        Assert.Contains("first.cs:10", e.Message);
        Assert.Contains("second.cs:20", e.Message);
    }

    [Fact]
    public void Registry_RecordsCallerSite_AndListsSorted()
    {
        var r = new OpSchemaRegistry();
        var s = r.Schema("Zeta");
        r.Schema("Alpha");
        Assert.EndsWith("OpSchemaTests.cs", s.File);
        Assert.True(s.Line > 0);
        Assert.Equal(["Alpha", "Zeta"], r.Types);
        Assert.Same(s, r.Find("Zeta"));
        Assert.Null(r.Find("Nope"));
    }

    [Fact]
    public void Defaults_AnyCount_NoInplace_UnknownShapes()
    {
        var s = new OpSchema("Default");
        Assert.Null(s.Verify(Def("Default", ["a", "b", "c"], ["d"])));
        Assert.False(s.InplaceAllowed(0, 0));
        var shapes = s.InferTensor(Def("Default", ["a"], ["b", "c"]), [TensorShape.Create([2])]);
        Assert.Equal(2, shapes.Count);
        Assert.All(shapes, x => Assert.True(x.UnknownShape));
    }

    [Fact]
    public void IdenticalTypeAndShape_CopiesEveryInputShape()
    {
        var s = new OpSchema("Id").IdenticalTypeAndShape();
        var shapes = s.InferTensor(Def("Id", ["a"], ["b"]), [TensorShape.Create([2, 3], DataType.Double)]);
        Assert.Equal([2L, 3L], shapes[0].Dims);
        Assert.Equal(DataType.Double, shapes[0].DataType);
    }

    [Fact]
    public void IdenticalTypeAndShapeOfInput_UsesThatInput()
    {
        var s = new OpSchema("Of1").IdenticalTypeAndShapeOfInput(1);
        var shapes = s.InferTensor(Def("Of1", ["a", "b"], ["c"]), [TensorShape.Create([1]), TensorShape.Create([4, 5], DataType.Int64)]);
        Assert.Single(shapes);
        Assert.Equal([4L, 5L], shapes[0].Dims);
        Assert.Equal(DataType.Int64, shapes[0].DataType);
    }

    [Fact]
    public void InferTensor_VerifiesFirst()
    {
        var s = new OpSchema("V").NumInputs(1).IdenticalTypeAndShape();
        Assert.Throws<EnforceNotMetException>(() => s.InferTensor(Def("V", [], ["o"]), []));
    }

    [Fact]
    public void InferTensor_UnknownInput_GivesUnknownOutputs()
    {
        var s = new OpSchema("U").TensorInferenceFunction((_, ins) => [TensorShape.Create([ins[0].Dims[0] * 2])]);
        var shapes = s.InferTensor(Def("U", ["a"], ["b"]), [TensorShape.Unknown()]);
        Assert.True(shapes[0].UnknownShape);
    }

    [Fact]
    public void PointwiseCost_CountsFlopsAndBytesByElementSize()
    {
        var s = new OpSchema("P").CostInferenceFunction(CostFunctions.Pointwise(2));
        var cost = s.InferCost(Def("P", ["x"], ["y"]), [TensorShape.Create([10, 3])]);
        Assert.Equal(new Cost(60, 120, 120), cost);
        var dbl = s.InferCost(Def("P", ["x"], ["y"]), [TensorShape.Create([10], DataType.Double)]);
        Assert.Equal(new Cost(20, 80, 80), dbl);
        var half = s.InferCost(Def("P", ["x"], ["y"]), [TensorShape.Create([10], DataType.Float16)]);
        Assert.Equal(new Cost(20, 20, 20), half);
    }

    [Fact]
    public void PointwiseCost_ReadsEveryInput()
    {
        var cost = CostFunctions.Pointwise(1)(Def("P", ["y", "dy"], ["dx"]), [TensorShape.Create([8]), TensorShape.Create([8])]);
        Assert.Equal(new Cost(8, 64, 32), cost);
    }

    [Fact]
    public void InferCost_WithoutFunction_Throws()
    {
        var s = new OpSchema("NoCost");
        Assert.False(s.HasCostInferenceFunction);
        Assert.Throws<EnforceNotMetException>(() => s.InferCost(Def("NoCost", [], []), []));
    }

    [Fact]
    public void InheritOnnxSchema_DefaultsToOwnName()
    {
        Assert.Equal("Mine", new OpSchema("Mine").InheritOnnxSchema().OnnxSchema);
        Assert.Equal("Other", new OpSchema("Mine").InheritOnnxSchema("Other").OnnxSchema);
        Assert.Null(new OpSchema("Mine").OnnxSchema);
    }

    [Fact]
    public void ToString_ListsArgumentsWithDefaultsInplaceAndDocs()
    {
        var s = new OpSchemaRegistry().Schema("Documented").NumInputs(1).NumOutputs(1)
            .Arg("alpha", "Coefficient.", 0.01f).AllowInplace((0, 0))
            .Input(0, "X", "input").Output(0, "Y", "output").SetDoc("Does things.");
        var text = s.ToString();
        Assert.Contains("alpha (Float) default 0.01: Coefficient.", text);
        Assert.Contains("In-place: allowed (0,0)", text);
        Assert.Contains("0 X: input", text);
        Assert.Contains("Does things.", text);
        Assert.Contains("Defined at ", text);
    }
}
