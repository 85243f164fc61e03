// Hand-written.
global using Caffe2Sharp.Proto;
global using DataType = Caffe2Sharp.Proto.TensorProto.Types.DataType;
