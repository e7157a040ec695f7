// The h2load body for the gRPC echo: one length-prefixed gRPC message (flag 0, u32 BE length)
// holding Args{a: 'aaa', b: 'bbbbb'} in protobuf wire form, hand-encoded (field tag, length, bytes).
export function grpcEchoBody(a = 'aaa', b = 'bbbbb') {
  const field = (tag, s) => {
    const v = Buffer.from(s);
    return Buffer.concat([Buffer.from([tag, v.length]), v]);
  };
  const msg = Buffer.concat([field(0x0a, a), field(0x12, b)]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}
