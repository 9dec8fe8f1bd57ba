package dev.peft4j.spi;

/** A kind of plugin that only the registry tests define, as a method defines its own sub-plugins. */
public interface Greeter {

    /**
     * The plugin's name.
     *
     * @return the name
     */
    String name();
}
