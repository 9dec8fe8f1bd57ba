package dev.peft4j.spi;

import java.util.Map;

/**
 * The plugins peft4j itself publishes, with the artifact that provides each, so that asking for
 * one whose jar is missing says which dependency to add.
 */
final class FirstPartyPlugins {

    private static final String GROUP = "dev.peft4j:";
    private static final Map<String, Map<String, String>> ARTIFACTS = Map.of(
            "adapter", Map.of("lora", "peft-lora", "dora", "peft-dora", "mora", "mora-adapter"),
            "operator",
                    Map.of(
                            "sharing", "mora-op-sharing",
                            "sharing-contiguous", "mora-op-sharing",
                            "sharing-contiguous-tile", "mora-op-sharing",
                            "sharing-cyclic-interleave", "mora-op-sharing",
                            "rotation", "mora-op-rotation",
                            "decouple", "mora-op-decouple",
                            "truncation", "mora-op-truncation"),
            "engine", Map.of("pytorch", "engine-pytorch", "mxnet", "engine-mxnet"));

    private FirstPartyPlugins() {}

    /**
     * What to add for a missing plugin.
     *
     * @param noun the kind, for example {@code operator}
     * @param name the plugin's name, lower case
     * @return a sentence naming the artifact when peft4j publishes the plugin, else a general one
     */
    static String howToAdd(String noun, String name) {
        String artifact = ARTIFACTS.getOrDefault(noun, Map.of()).get(name);
        return artifact == null
                ? "Add the jar that provides it to the class path."
                : "Add the dependency " + GROUP + artifact + " (it provides the " + noun + " '" + name + "').";
    }
}
