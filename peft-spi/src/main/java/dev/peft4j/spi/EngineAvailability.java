package dev.peft4j.spi;

/**
 * Whether an engine can run here, and if not, why.
 *
 * @param usable whether the engine loaded
 * @param reason empty when usable; otherwise what is missing and how to fix it
 */
public record EngineAvailability(boolean usable, String reason) {

    /**
     * An engine that loaded.
     *
     * @return the availability
     */
    public static EngineAvailability available() {
        return new EngineAvailability(true, "");
    }

    /**
     * An engine that cannot run.
     *
     * @param reason what is missing and how to fix it
     * @return the availability
     */
    public static EngineAvailability unavailable(String reason) {
        return new EngineAvailability(false, reason);
    }
}
