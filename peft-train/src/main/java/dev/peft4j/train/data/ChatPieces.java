package dev.peft4j.train.data;

import dev.peft4j.models.text.ChatMessage;
import dev.peft4j.models.text.ChatTemplate;
import dev.peft4j.models.text.Tokenizer;
import dev.peft4j.spi.PeftException;
import java.util.List;

/**
 * Tokenizes a conversation through a chat template with the loss on the assistant turns only: for
 * the assistant message at index {@code i}, the text from the end of {@code render(messages[0..i),
 * true)} (everything up to and including the assistant header) to the end of {@code
 * render(messages[0..i], false)} is trained; everything else is not.
 *
 * <p>Each piece is encoded on its own without added special tokens, as transformers' {@code
 * apply_chat_template} encodes the rendered text.
 */
final class ChatPieces {

    private static final int EXCERPT = 40;

    private ChatPieces() {}

    /**
     * Appends a conversation's tokens.
     *
     * @param sequence where the tokens go
     * @param messages the conversation, at least one message
     * @param template the tokenizer's chat template
     * @param tokenizer encodes the pieces
     * @param where {@code file:line}, for error messages
     * @throws PeftException when the template fails to render, or when it is not incremental: a
     *     render that the split relies on does not start with the render before it
     */
    static void append(
            TokenSequence sequence,
            List<ChatMessage> messages,
            ChatTemplate template,
            Tokenizer tokenizer,
            String where) {
        String whole = render(template, messages, false, where);
        String done = "";
        String doneName = "no messages";
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).role().equals("assistant")) {
                continue;
            }
            String header = render(template, messages.subList(0, i), true, where);
            requirePrefix(done, header, where, doneName, "messages[0.." + i + ") with the generation prompt");
            String turn = render(template, messages.subList(0, i + 1), false, where);
            requirePrefix(
                    header, turn, where, "messages[0.." + i + ") with the generation prompt", "messages[0.." + i + "]");
            appendPiece(sequence, tokenizer, header.substring(done.length()), false);
            appendPiece(sequence, tokenizer, turn.substring(header.length()), true);
            done = turn;
            doneName = "messages[0.." + i + "]";
        }
        requirePrefix(done, whole, where, doneName, "the whole conversation");
        appendPiece(sequence, tokenizer, whole.substring(done.length()), false);
    }

    private static void appendPiece(TokenSequence sequence, Tokenizer tokenizer, String piece, boolean trained) {
        if (!piece.isEmpty()) {
            sequence.append(tokenizer.encode(piece, false), trained);
        }
    }

    private static String render(
            ChatTemplate template, List<ChatMessage> messages, boolean generationPrompt, String where) {
        try {
            return template.render(messages, generationPrompt);
        } catch (PeftException e) {
            throw new PeftException(where + ": the chat template fails on this conversation: " + e.getMessage(), e);
        }
    }

    private static void requirePrefix(String prefix, String text, String where, String prefixName, String textName) {
        if (text.startsWith(prefix)) {
            return;
        }
        int at = 0;
        while (at < prefix.length() && at < text.length() && prefix.charAt(at) == text.charAt(at)) {
            at++;
        }
        throw new PeftException(where + ": the chat template is not incremental, so the assistant's tokens"
                + " cannot be told apart: rendering " + textName + " does not start with the rendering of "
                + prefixName + "; they differ at character " + at + ": " + excerpt(prefix, at) + " versus "
                + excerpt(text, at));
    }

    private static String excerpt(String text, int at) {
        if (at >= text.length()) {
            return "the end";
        }
        String part = text.substring(at, Math.min(text.length(), at + EXCERPT));
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : part.toCharArray()) {
            switch (c) {
                case '\n' -> quoted.append("\\n");
                case '\t' -> quoted.append("\\t");
                case '\r' -> quoted.append("\\r");
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                default -> quoted.append(c);
            }
        }
        return quoted.append(at + EXCERPT < text.length() ? "...\"" : "\"").toString();
    }
}
