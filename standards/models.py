from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Principle(models.Model):
    """One of the 4 principles of successful instructional technology coaching."""

    number = models.PositiveSmallIntegerField(unique=True)
    text = models.TextField()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"


class Domain(models.Model):
    number = models.PositiveSmallIntegerField(unique=True, validators=[MinValueValidator(1), MaxValueValidator(4)])
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Standard(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="standards")
    code = models.CharField(max_length=2, unique=True)
    title = models.CharField(max_length=200)
    # Blank when the seed gives the standard only as numbered sub-items (Indicators).
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(help_text="Order within the domain, from 1.")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Indicator(models.Model):
    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(max_length=5, unique=True)
    number = models.PositiveSmallIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["standard", "number"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "number"], name="uniq_indicator_number"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class SelfAssessment(models.Model):
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="self_assessments",
    )
    assessed_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Only the coach sees a self-assessment, unless they share this one with their district admin.
    shared_with_district = models.BooleanField("share this self-assessment with my district admin", default=False)

    class Meta:
        ordering = ["-assessed_on", "-created_at"]

    def __str__(self) -> str:
        return f"Self-assessment of {self.coach} on {self.assessed_on}"


class SelfAssessmentRating(models.Model):
    assessment = models.ForeignKey(SelfAssessment, on_delete=models.CASCADE, related_name="ratings")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="self_assessment_ratings")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)])
    evidence = models.TextField(blank=True)

    class Meta:
        ordering = ["assessment", "standard__code"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "standard"], name="uniq_self_assessment_standard"),
            # Enforced in the database too, so no write path can store an out-of-range rating.
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=4),
                name="self_assessment_rating_1_to_4",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.standard_id}: {self.rating}"
