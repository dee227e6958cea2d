namespace LVPrune.Text;

/// <summary>The conversation formats LLaVA-1.5 checkpoints expect (see <see cref="Prompts"/>).</summary>
public enum PromptTemplate
{
    /// <summary>llava-hf model cards: "USER: &lt;image&gt;\n{question} ASSISTANT:" ("llava-hf").</summary>
    LlavaHf,

    /// <summary>Original LLaVA's conv_vicuna_v1 (LLaVA-1.5 training "--version v1" and evaluation
    /// "--conv-mode vicuna_v1"): a system line, then " USER: &lt;image&gt;\n{question} ASSISTANT:" ("llava-v1").</summary>
    LlavaV1,
}
