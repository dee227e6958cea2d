using TorchSharp;
Console.WriteLine(torch.ones(2, 3).to(torch.bfloat16).sum().ToSingle());
