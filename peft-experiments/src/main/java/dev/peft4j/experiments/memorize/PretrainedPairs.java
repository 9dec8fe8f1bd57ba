package dev.peft4j.experiments.memorize;

import dev.peft4j.models.text.Tokenizer;
import dev.peft4j.spi.PeftException;
import dev.peft4j.train.data.TrainingExample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The UUID pairs as prompt → completion text for a pretrained causal language model, as in the MoRA
 * paper's memorization task. Each pair is the text {@code KEY VALUE}: the key's 32 lower-case
 * hexadecimal characters, one space, the value's 32, then EOS. The prompt is the key's tokens (with
 * the BOS the tokenizer adds, if any); the loss is on the value's tokens and EOS only.
 */
final class PretrainedPairs {

    private final List<String> values;
    private final List<long[]> prompts;
    private final List<long[]> sequences;
    private final List<TrainingExample> examples;
    private final long completionTokens;
    private final int longestCompletion;

    private PretrainedPairs(
            List<String> values, List<long[]> prompts, List<long[]> sequences, List<TrainingExample> examples) {
        this.values = List.copyOf(values);
        this.prompts = List.copyOf(prompts);
        this.sequences = List.copyOf(sequences);
        this.examples = List.copyOf(examples);
        this.completionTokens =
                examples.stream().mapToLong(TrainingExample::trainedTokens).sum();
        this.longestCompletion = Math.toIntExact(examples.stream()
                .mapToLong(TrainingExample::trainedTokens)
                .max()
                .orElseThrow());
    }

    /**
     * Tokenizes the pairs.
     *
     * @param pairs the pairs
     * @param tokenizer the model's tokenizer
     * @param eosId the token that ends a completion
     * @param model the model directory, for messages
     * @return the tokenized pairs
     * @throws PeftException when the tokenizer merges a key's last token with what follows it, or
     *     cannot write a value back as the same text
     */
    static PretrainedPairs tokenize(UuidPairs pairs, Tokenizer tokenizer, long eosId, String model) {
        List<String> values = new ArrayList<>();
        List<long[]> prompts = new ArrayList<>();
        List<long[]> sequences = new ArrayList<>();
        List<TrainingExample> examples = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            String key = pairs.keyText(i);
            String value = pairs.valueText(i);
            long[] prompt = tokenizer.encode(key, true);
            long[] text = tokenizer.encode(key + " " + value, true);
            if (text.length <= prompt.length || !Arrays.equals(prompt, Arrays.copyOf(text, prompt.length))) {
                throw new PeftException("The tokenizer of " + model + " does not tokenize '" + key + " " + value
                        + "' as the key's tokens followed by the value's: prompt and completion cannot be told apart");
            }
            String written = answer(tokenizer.decode(Arrays.copyOfRange(text, prompt.length, text.length), true));
            if (!written.equals(value)) {
                throw new PeftException("The tokenizer of " + model + " decodes the tokens of '" + value + "' as '"
                        + written + "': the value cannot be read back");
            }
            long[] sequence = Arrays.copyOf(text, text.length + 1);
            sequence[text.length] = eosId;
            boolean[] trained = new boolean[sequence.length];
            Arrays.fill(trained, prompt.length, sequence.length, true);
            values.add(value);
            prompts.add(prompt);
            sequences.add(sequence);
            examples.add(new TrainingExample(sequence, trained));
        }
        return new PretrainedPairs(values, prompts, sequences, examples);
    }

    /**
     * The fraction of the value's characters that the answer has at the same positions: a missing
     * character counts as wrong, characters past the value's length are ignored.
     *
     * @param value the expected text, not empty
     * @param answer the decoded text
     * @return 0 to 1
     */
    static double characterAccuracy(String value, String answer) {
        int right = 0;
        for (int i = 0; i < Math.min(value.length(), answer.length()); i++) {
            if (value.charAt(i) == answer.charAt(i)) {
                right++;
            }
        }
        return (double) right / value.length();
    }

    /**
     * The answer in a decoded completion: the text without the one space that separates it from
     * the key (tokenizers that strip it on decoding, as SentencePiece does, give it without).
     *
     * @param decoded the completion's decoded text, special tokens left out
     * @return the answer
     */
    static String answer(String decoded) {
        return decoded.startsWith(" ") ? decoded.substring(1) : decoded;
    }

    /**
     * The number of pairs.
     *
     * @return N
     */
    int size() {
        return values.size();
    }

    /**
     * A pair's value.
     *
     * @param index the pair
     * @return its 32 hexadecimal characters
     */
    String value(int index) {
        return values.get(index);
    }

    /**
     * The prompts: each key's tokens.
     *
     * @return one token array per pair; callers must not modify them
     */
    List<long[]> prompts() {
        return prompts;
    }

    /**
     * The whole sequences: prompt, completion and EOS.
     *
     * @return one token array per pair; callers must not modify them
     */
    List<long[]> sequences() {
        return sequences;
    }

    /**
     * The training examples: the sequences with the completion and EOS as loss targets.
     *
     * @return one example per pair
     */
    List<TrainingExample> examples() {
        return examples;
    }

    /**
     * The loss targets of all pairs together.
     *
     * @return the completion tokens, EOS included
     */
    long completionTokens() {
        return completionTokens;
    }

    /**
     * The tokens greedy decoding needs to write the longest completion and its EOS.
     *
     * @return the most completion tokens of a pair, EOS included
     */
    int longestCompletion() {
        return longestCompletion;
    }
}
