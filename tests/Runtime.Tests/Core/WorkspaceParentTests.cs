using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Runtime.Tests.Core;

public class WorkspaceParentTests
{
    private static NetDef Net(string name, params OperatorDef[] ops)
    {
        var n = new NetDef { Name = name };
        n.Op.AddRange(ops);
        return n;
    }

    private static Workspace Parent()
    {
        var p = new Workspace(TestOps.Catalog()) { IntraOpThreads = 3 };
        p.FeedBlob("X", new float[] { 1, 2 });
        p.FeedBlob("W", new float[] { 5, 5 });
        return p;
    }

    [Fact]
    public void Child_ReadsParentBlobs_AndListsLocalPlusParent()
    {
        var parent = Parent();
        var child = new Workspace(parent);
        Assert.Same(parent, child.Parent);
        Assert.Same(parent.Catalog, child.Catalog);
        Assert.Equal(3, child.IntraOpThreads);
        Assert.Same(parent.GetBlob("X"), child.GetBlob("X"));
        Assert.True(child.HasBlob("W"));
        Assert.False(child.HasLocalBlob("W"));
        Assert.Equal([1f, 2f], child.FetchBlob<float>("X"));
        child.FeedBlob("L", new float[] { 0 });
        Assert.Equal(["L", "W", "X"], child.Blobs);
        Assert.Equal(["L"], child.LocalBlobs);
        Assert.Equal(["W", "X"], parent.Blobs);
        Assert.Equal("Blob 'WW' does not exist. Did you mean: W, L, X?", Assert.Throws<EnforceNotMetException>(() => child.FetchBlob("WW")).Message);
    }

    [Fact]
    public void ChildOp_WritingAParentName_GetsItsOwnBlob_AndTheParentIsUnchanged()
    {
        var parent = Parent();
        var child = new Workspace(parent);
        // Op 0 is bound before op 1 shadows X, so it reads the parent's X (see Workspace's remarks).
        var net = child.CreateNet(Net("n", TestOps.Mul("X", "X", "W"), TestOps.Scale("X", "X", 10)));
        Assert.True(child.HasLocalBlob("W"));
        Assert.NotSame(parent.GetBlob("W"), child.GetBlob("W"));
        net.Run();
        net.Run(); // outputs are recomputed from the parent's values, never compounded
        Assert.Equal([1f, 4f], child.FetchBlob<float>("W"));
        Assert.Equal([10f, 20f], child.FetchBlob<float>("X"));
        Assert.Equal([5f, 5f], parent.FetchBlob<float>("W"));
        Assert.Equal([1f, 2f], parent.FetchBlob<float>("X"));
        Assert.Equal(["W", "X"], child.LocalBlobs);
    }

    [Fact]
    public void ChildFeed_ShadowsTheParent_AndRemovingTheShadowShowsTheParentAgain()
    {
        var parent = Parent();
        var child = new Workspace(parent);
        child.FeedBlob("W", new float[] { 9 });
        Assert.Equal([9f], child.FetchBlob<float>("W"));
        Assert.Equal([5f, 5f], parent.FetchBlob<float>("W"));
        Assert.True(child.RemoveBlob("W"));
        Assert.Equal([5f, 5f], child.FetchBlob<float>("W"));
    }

    [Fact]
    public void RemoveOrRename_OfAParentOnlyBlob_IsRefused()
    {
        var parent = Parent();
        var child = new Workspace(parent);
        Assert.Equal("Cannot remove blob 'W': it belongs to the parent workspace, which a child never changes.",
            Assert.Throws<EnforceNotMetException>(() => child.RemoveBlob("W")).Message);
        Assert.Equal("Cannot rename blob 'X': it belongs to the parent workspace, which a child never changes.",
            Assert.Throws<EnforceNotMetException>(() => child.RenameBlob("X", "Y")).Message);
        Assert.False(child.RemoveBlob("nothing"));
        Assert.Contains("it does not exist", Assert.Throws<EnforceNotMetException>(() => child.RenameBlob("nothing", "Y")).Message);
        Assert.Equal(["W", "X"], parent.Blobs);
    }

    [Fact]
    public void AllowWritesToParent_WritesTheParentsBlobs()
    {
        var parent = Parent();
        var child = new Workspace(parent, allowWritesToParent: true);
        Assert.True(child.AllowsWritesToParent);
        child.RunNetOnce(Net("n", TestOps.Scale("X", "X", 3), TestOps.Scale("X", "Fresh")));
        Assert.Equal([3f, 6f], parent.FetchBlob<float>("X"));
        Assert.Equal(["Fresh"], child.LocalBlobs); // a name neither held is created in the child
        Assert.False(parent.HasBlob("Fresh"));
        child.FeedBlob("W", new float[] { 1 });
        Assert.Equal([1f], parent.FetchBlob<float>("W"));
    }

    [Fact]
    public void FailedCreateNet_InAChild_RemovesTheShadowsItMade()
    {
        var parent = Parent();
        var child = new Workspace(parent);
        var e = Assert.Throws<OperatorException>(() => child.CreateNet(Net("n", TestOps.Scale("X", "W"), TestOps.Scale("missing", "Y"))));
        Assert.Equal(1, e.OpIndex);
        Assert.Empty(child.LocalBlobs);
        Assert.Same(parent.GetBlob("W"), child.GetBlob("W"));

        var writer = new Workspace(parent, allowWritesToParent: true);
        Assert.Throws<OperatorException>(() => writer.CreateNet(Net("n", TestOps.Scale("X", "W"), TestOps.Scale("missing", "Y"))));
        Assert.True(parent.HasBlob("W")); // the parent's blob is not "created" by the child, so not rolled back
    }

    [Fact]
    public void Grandchild_SeesEveryAncestor_NetsAreNotInherited()
    {
        var parent = Parent();
        parent.CreateNet(Net("p", TestOps.Scale("X", "Y")));
        var child = new Workspace(parent);
        child.FeedBlob("C", new float[] { 7 });
        var grandchild = new Workspace(child);
        Assert.Equal(["C", "W", "X", "Y"], grandchild.Blobs);
        Assert.Equal([7f], grandchild.FetchBlob<float>("C"));
        Assert.Null(child.GetNet("p"));
        Assert.Empty(grandchild.Nets);
    }
}
