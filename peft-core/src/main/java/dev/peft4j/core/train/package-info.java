/** Training helpers: an optimizer whose state can be cleared and periodic merge-and-restart. */
package dev.peft4j.core.train;
