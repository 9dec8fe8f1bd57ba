/** The {@code peft4j} command line, built with picocli. */
package dev.peft4j.cli;
