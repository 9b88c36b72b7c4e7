"""The reference of the field: Mesa's Boltzmann wealth model, without the grid.

Every agent starts with one unit of money; each step, in random order, every agent with
money gives one unit to a random other agent. This is the classic Mesa benchmark, measured
in the same process as our model so that a shared, noisy machine cancels out of the ratio.

Source: projectmesa/mesa, ``mesa/examples/basic/boltzmann_wealth_model/{agents,model}.py``
(Mesa 3.3, commit a320b79) and the no-grid version of the introductory tutorial
(``docs/tutorials/0_first_model.ipynb``). Two departures, both to keep the reference fair:
no grid (the issue's definition), so "a random agent in the same cell" becomes "a random
other agent"; and that agent is drawn from a list kept by the model, because
``random.choice(model.agents)`` copies the whole AgentSet on every draw (O(n) per agent,
O(n^2) per step), which would make the reference look slower than Mesa really is.
"""

from __future__ import annotations

from mesa import Agent, Model
from mesa.datacollection import DataCollector


class MoneyAgent(Agent):
    """An agent with one unit of wealth that gives units away at random."""

    def __init__(self, model: BoltzmannWealth):
        super().__init__(model)
        self.wealth = 1

    def give_money(self) -> None:
        """Gives one unit of wealth to a random other agent."""
        others = self.model.agent_list
        other = self.random.choice(others)
        while other is self and len(others) > 1:
            other = self.random.choice(others)
        if other is not self:
            other.wealth += 1
            self.wealth -= 1

    def step(self) -> None:
        """Gives money away if it has any (the example's step, without the move)."""
        if self.wealth > 0:
            self.give_money()


class BoltzmannWealth(Model):
    """Agents exchanging money at random; wealth ends up Boltzmann-Gibbs distributed.

    Args:
        n: number of agents.
        seed: seed of the model's random generator.
        collect: collect the example's Gini and per-agent wealth every step, as the example
            (and Mesa's own benchmark suite) does; ``False`` times the bare exchange, the
            harder reference.
    """

    def __init__(self, n: int = 100, seed: int | None = None, collect: bool = True):
        super().__init__(seed=seed)
        self.num_agents = n
        MoneyAgent.create_agents(self, n)
        self.agent_list = list(self.agents)
        self.datacollector = None
        if collect:
            self.datacollector = DataCollector(
                model_reporters={"Gini": self.compute_gini},
                agent_reporters={"Wealth": "wealth"},
            )
            self.datacollector.collect(self)
        self.running = True

    def step(self) -> None:
        """Activates every agent once in random order, then records the state."""
        self.agents.shuffle_do("step")
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def compute_gini(self) -> float:
        """The Gini coefficient of wealth (0 equal, 1 one agent has everything)."""
        x = sorted(agent.wealth for agent in self.agents)
        n = self.num_agents
        b = sum(xi * (n - i) for i, xi in enumerate(x)) / (n * sum(x))
        return 1 + (1 / n) - 2 * b


def run(n: int, steps: int, seed: int = 0, collect: bool = True) -> BoltzmannWealth:
    """Builds and steps the reference model (what the benchmark times)."""
    model = BoltzmannWealth(n, seed=seed, collect=collect)
    for _ in range(steps):
        model.step()
    return model
