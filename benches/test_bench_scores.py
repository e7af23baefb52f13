"""Scores losses (softmax, SVM in both variants) at N=200000 C=20 and N=20000 C=1000."""


def test_scores_loss(run_case, scores_case):
    run_case(*scores_case)
