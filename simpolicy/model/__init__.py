"""The Mesa model: agents, programme and instruments, needs, projects and diffusion."""
