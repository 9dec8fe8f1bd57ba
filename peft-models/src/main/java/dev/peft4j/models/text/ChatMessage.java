package dev.peft4j.models.text;

import java.util.Objects;

/**
 * One turn of a conversation, as a chat template sees it: {@code messages[i]['role']} and
 * {@code messages[i]['content']}.
 *
 * @param role who speaks, for example {@code "system"}, {@code "user"} or {@code "assistant"}
 * @param content what is said; may be empty
 */
public record ChatMessage(String role, String content) {

    /**
     * Validates the message.
     *
     * @param role who speaks
     * @param content what is said
     *
     * @throws NullPointerException when the role or the content is null
     * @throws IllegalArgumentException when the role is blank
     */
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (role.isBlank()) {
            throw new IllegalArgumentException("A chat message's role must not be blank");
        }
    }

    /**
     * A system message.
     *
     * @param content the instructions
     * @return the message
     */
    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    /**
     * A user message.
     *
     * @param content what the user says
     * @return the message
     */
    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    /**
     * An assistant message.
     *
     * @param content what the assistant says
     * @return the message
     */
    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
