"""The exported plan record: its read model, history summaries, chart and documents."""
