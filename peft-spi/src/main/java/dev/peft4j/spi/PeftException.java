package dev.peft4j.spi;

/**
 * The one exception peft4j throws for bad input, bad files and unusable plugins or engines.
 *
 * <p>Messages name the offending value and say what was expected.
 */
public class PeftException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     *
     * @param message what went wrong and what was expected
     */
    public PeftException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and its cause.
     *
     * @param message what went wrong and what was expected
     * @param cause the underlying failure
     */
    public PeftException(String message, Throwable cause) {
        super(message, cause);
    }
}
